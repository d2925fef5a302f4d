"""pandera models for the canonical and return tables, code lists, and the DfE rule sets."""
