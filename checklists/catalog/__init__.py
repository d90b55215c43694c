"""The catalog: versioned recommendations loaded from YAML, each item with a stable code."""
