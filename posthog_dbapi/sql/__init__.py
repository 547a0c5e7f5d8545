"""SQL with sqlglot: statement classification and parameters (later: the HogQL translator)."""
