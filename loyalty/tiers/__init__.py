"""Tiers: qualification from monthly buckets, upgrades inside the write, evaluation by a job."""
