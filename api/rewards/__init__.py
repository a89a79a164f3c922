"""GraphQL of the rewards area: catalog, redemptions, holds."""
