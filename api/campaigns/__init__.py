"""The campaigns area's GraphQL surface (admins only)."""
