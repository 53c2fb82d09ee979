"""The survey function's resolver and the mapping of its domain errors to HTTP.

Routes live in the modules `handler.py` imports (`routes`: `POST /v1/surveys`). Domain errors
map to the contract's answers in klantreis.api: a bad survey token is 401 (`invalid_token`,
`token_expired`), another site's or chat's token 403, an unknown chat 404, a second survey 409.
"""

from __future__ import annotations

from klantreis.api import build_resolver

app = build_resolver()
