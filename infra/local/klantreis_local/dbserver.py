"""`python -m klantreis_local.dbserver --port N`: moto's DynamoDB as a server, one request at a
time.

moto keeps its tables in plain Python objects without locks, so its threaded server can interleave
two conditional writes between their check and their write, which DynamoDB never does. Serving one
request at a time gives each request DynamoDB's atomicity, while clients (several local stacks,
standing in for Lambda instances) still interleave their reads and writes freely: the condition
expressions are what keeps them correct, as deployed. moto runs with embedded_dynamodb's linear
transactions and bounded stream, as in-process.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5005)
    options = parser.parse_args(argv)
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import WSGIRequestHandler, make_server

    from klantreis_local import embedded_dynamodb

    embedded_dynamodb.install()

    class QuietHandler(WSGIRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            return  # one line per DynamoDB call would drown the callers' logs

    app = DomainDispatcherApplication(create_backend_app)
    server = make_server(options.host, options.port, app, threaded=False, request_handler=QuietHandler)
    print(f"moto DynamoDB (serial) on http://{options.host}:{options.port}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
