"""OAuth 2: the token endpoint where partner clients trade credentials for tokens."""
