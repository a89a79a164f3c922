"""GraphQL surface of surveys and feedback."""
