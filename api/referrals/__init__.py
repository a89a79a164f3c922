"""GraphQL of the referrals area."""
