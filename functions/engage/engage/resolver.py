"""The engage function's resolver and the mapping of its domain errors to HTTP.

Routes live in the modules `handler.py` imports (`config_routes`: opening hours and rules).
"""

from __future__ import annotations

from klantreis.api import build_resolver

app = build_resolver()
