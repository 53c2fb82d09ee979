"""Klantreis shared core: the domain logic and data access that every function uses.

Nothing here creates AWS clients or reads the environment at import time; see `settings` and
`dynamo` for the cached factories that do so on first use.

Every pydantic model defers building its validator and serializer to its first use
(`defer_build`): a function imports every model any of its routes could use, a request uses a
few, and building them at import was a third of our own import time (docs/decisions.md, "Cold
start levers"). Set on pydantic's base, here, because this package is imported before any of its
modules or the functions' route modules define a model.
"""

from pydantic import BaseModel, ConfigDict

BaseModel.model_config = ConfigDict(defer_build=True)
