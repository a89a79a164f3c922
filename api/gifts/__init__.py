"""GraphQL face of the gifts area."""
