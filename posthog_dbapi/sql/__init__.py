"""SQL with sqlglot: statement classification, the HogQL planner and translator, parameter binding."""
