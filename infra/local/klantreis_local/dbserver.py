"""`python -m klantreis_local.dbserver --port N`: moto's DynamoDB as a server, one request at a
time.

moto keeps its tables in plain Python objects without locks, so its threaded server can interleave
two conditional writes between their check and their write, which DynamoDB never does. Serving one
request at a time gives each request DynamoDB's atomicity, while clients (several local stacks,
standing in for Lambda instances) still interleave their reads and writes freely: the condition
expressions are what keeps them correct, as deployed.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def serial_server(host: str = "127.0.0.1", port: int = 0) -> Any:
    """moto's DynamoDB behind a werkzeug server that answers one request at a time, bound (port 0:
    the OS picks a free one; `.server_port` tells which) but not yet serving."""
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import WSGIRequestHandler, make_server

    class QuietHandler(WSGIRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            return  # one line per DynamoDB call would drown the callers' logs

    app = DomainDispatcherApplication(create_backend_app)
    return make_server(host, port, app, threaded=False, request_handler=QuietHandler)


@contextmanager
def serving(host: str = "127.0.0.1") -> Iterator[str]:
    """A serial server on a port the OS picks, served from a thread of this process until the
    block ends; yields its endpoint URL."""
    server = serial_server(host, 0)
    worker = threading.Thread(target=server.serve_forever, name="serial-dynamodb", daemon=True)
    worker.start()
    try:
        yield f"http://{host}:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        worker.join(timeout=5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5005, help="0: a free port the OS picks (printed)")
    options = parser.parse_args(argv)
    server = serial_server(options.host, options.port)
    # The bound port, which differs from --port 0: callers read it from this line.
    print(f"moto DynamoDB (serial) on http://{options.host}:{server.server_port}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
