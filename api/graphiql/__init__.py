"""The GraphiQL IDE, served from this package (no CDN): see page.py and README."""

from api.graphiql.page import asset_routes, graphiql_page

__all__ = ["asset_routes", "graphiql_page"]
