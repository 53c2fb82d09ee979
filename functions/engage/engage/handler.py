"""Lambda entry point of the engage API: its route modules' routers on the shared resolver."""

from __future__ import annotations

from engage import config_routes, decide_routes, decision_log_routes
from klantreis.api import build_resolver, entry_point

app = build_resolver(config_routes.router, decide_routes.router, decision_log_routes.router)
lambda_handler = entry_point(app)
