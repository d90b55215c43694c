"""Training records: personnel, courses, sessions and completions, requirements and currency."""
