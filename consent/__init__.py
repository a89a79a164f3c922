"""Consent, preferences, the data-usage log, and export and erasure of a member's data."""
