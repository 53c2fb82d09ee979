"""The track function's resolver and the mapping of its domain errors to HTTP.

All errors this function raises are the core's domain errors, mapped by `build_resolver`.
"""

from __future__ import annotations

from klantreis.api import build_resolver

app = build_resolver()
