"""Challenges and badges: goals over the event log, progress by a relay consumer, rewards."""
