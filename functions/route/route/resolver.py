"""The route function's resolver and the mapping of its domain errors to HTTP.

Routes live in the modules `handler.py` imports (`chat_routes`, `agent_routes`).
"""

from __future__ import annotations

from klantreis.api import build_resolver

app = build_resolver()
