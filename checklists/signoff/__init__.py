"""Review, sign-off and the signed reports: the frozen snapshot, its PDFs, their signatures."""
