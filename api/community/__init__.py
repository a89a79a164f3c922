"""GraphQL of the community area."""
