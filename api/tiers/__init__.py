"""The tiers area in GraphQL: configuration, member tier status, admin mutations."""
