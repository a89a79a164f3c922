"""Loyalty services and their persistence: programs, members, points, tiers, rewards, referrals."""
