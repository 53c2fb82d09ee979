"""Klantreis shared core: the domain logic and data access that every function uses.

Nothing here creates AWS clients or reads the environment at import time; see `settings` and
`dynamo` for the cached factories that do so on first use.
"""
