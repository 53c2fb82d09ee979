"""Lambda entry point of the survey API: its route modules' routers on the shared resolver."""

from __future__ import annotations

from klantreis.api import build_resolver, entry_point
from survey import routes

app = build_resolver(routes.router)
lambda_handler = entry_point(app)
