"""Lambda entry point of the route API: its route modules' routers on the shared resolver."""

from __future__ import annotations

from klantreis.api import build_resolver, entry_point
from route import agent_routes, chat_routes, knowledge_routes

app = build_resolver(agent_routes.router, chat_routes.router, knowledge_routes.router)
lambda_handler = entry_point(app)
