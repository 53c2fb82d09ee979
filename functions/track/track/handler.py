"""Lambda entry point of the track API: its route modules' routers on the shared resolver."""

from __future__ import annotations

from klantreis.api import build_resolver, entry_point
from track import routes

app = build_resolver(routes.router)
lambda_handler = entry_point(app)
