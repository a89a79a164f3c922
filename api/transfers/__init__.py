"""GraphQL of points transfers between members."""
