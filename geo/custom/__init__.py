"""Loaders for the few raw tables whose shape the declarative mappings do not cover."""
