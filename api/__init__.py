"""The GraphQL gateway: schema, per-area types and resolvers, the Starlette app, auth and the CLI."""
