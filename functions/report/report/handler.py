"""Lambda entry point of the report API: its route modules' routers on the shared resolver. The
scheduled jobs (`jobs.py`) are other Lambda handlers of the same code and use no resolver."""

from __future__ import annotations

from klantreis.api import build_resolver, entry_point
from report import feedback_routes, live_routes, routes

app = build_resolver(feedback_routes.router, live_routes.router, routes.router)
lambda_handler = entry_point(app)
