"""Community: posts and their moderation, reactions, reports, and what contributions earn."""
