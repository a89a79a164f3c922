"""Referrals: codes, attribution, conversion rewards, clawback and fraud review."""
