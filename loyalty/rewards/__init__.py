"""Rewards: the catalog, redemptions, checkout holds and discount codes."""
