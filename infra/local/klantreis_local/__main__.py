"""`python -m klantreis_local` (what `make dev` runs): the local stack on 127.0.0.1:${PORT:-3000}."""

from __future__ import annotations

import sys

from klantreis_local.server import main

if __name__ == "__main__":
    sys.exit(main())
