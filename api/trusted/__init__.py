"""Trusted documents: the first-party clients' GraphQL documents, sent by id (registry.py), and
which document a request runs (resolution.py)."""
