"""The route function's resolver and the mapping of its domain errors to HTTP.

It serves no routes yet; they arrive with their own issue, and template.yaml declares them then.
"""

from __future__ import annotations

from klantreis.api import build_resolver

app = build_resolver()
