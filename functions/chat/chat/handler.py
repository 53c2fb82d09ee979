"""Lambda entry point of the chat API: its routes on the shared resolver."""

from __future__ import annotations

from chat import routes
from klantreis.api import build_resolver, entry_point

app = build_resolver(routes.router)
lambda_handler = entry_point(app)
