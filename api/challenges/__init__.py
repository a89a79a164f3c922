"""GraphQL of the challenges area."""
