"""The report function's resolver and the mapping of its domain errors to HTTP.

Routes live in the modules `handler.py` imports: `routes` (the daily report, its CSV and
staffing; operators only) and `live_routes` (the live view of the site's visitors). The scheduled
jobs (`jobs.py`) are other Lambda handlers of the same code and use no resolver.
"""

from __future__ import annotations

from klantreis.api import build_resolver

app = build_resolver()
