"""Ingestion: read source files, map them by declarative mappings, validate, resolve entities, load."""
