"""Partner clients: OAuth 2 client credentials and the scopes they grant."""
