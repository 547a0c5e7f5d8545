"""Declarative resource specs: paths, ids, pagination, delete style, filters, columns and types."""
