"""The local stack of `make dev` on an OS-chosen port, in this process: what the browser tests and
the widget's bench drive. The same gateway, shop, seed, stream pump and scheduler as `make dev`;
only the port (0, then the one the OS chose, which the demo site's allowed origin names) and the
thread it serves on differ."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from unittest import mock

from chalice.config import Config

from klantreis_local import console, runtime, server, shop

HOST = "127.0.0.1"


@dataclass(frozen=True)
class RunningStack:
    base_url: str
    """`http://127.0.0.1:<port>`: the API, `/dev/token`, `/demo/` and `/widget/`."""
    pump: runtime.StreamPump
    dynamodb: Any
    """The stack's DynamoDB client (hold gateway.HANDLER_LOCK while using it: the stack's
    threads write to the same in-process moto)."""
    table_name: str
    api_requests: list[dict[str, Any]]
    """Every API request the functions received (method, path, query, body), beacons included
    (a browser's own request log misses those sent while a page unloads)."""


@contextmanager
def running_stack(table_name: str = "klantreis-browser") -> Iterator[RunningStack]:
    """Serves the local stack until the block ends, on embedded DynamoDB (moto) unless
    AWS_ENDPOINT_URL_DYNAMODB names a server."""
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    runtime.configure_environment(table_name)
    from klantreis_local import gateway

    received: list[dict[str, Any]] = []
    function_call = gateway.invoke

    def recorded(spec: Any, handler: Any, event: dict[str, Any]) -> Any:
        received.append(
            {
                "method": event["httpMethod"],
                "path": event["path"],
                "query": dict(event.get("queryStringParameters") or {}),
                "body": event.get("body"),
            }
        )
        return function_call(spec, handler, event)

    with runtime.local_dynamodb(table_name) as dynamodb, mock.patch.object(gateway, "invoke", recorded):
        app = gateway.build_app()
        shop.mount(app)
        console.mount(app)
        config = Config.create(lambda_timeout=gateway.FUNCTION_TIMEOUT_MS // 1000)
        http_server = server.local_dev_server(app, config, HOST, 0).server
        port = int(http_server.server_address[1])
        runtime.seed_demo(dynamodb, table_name, port)
        serving = threading.Thread(target=http_server.serve_forever, name="local-stack", daemon=True)
        with (
            server.stream_pump(dynamodb, table_name, interval=0.2) as pump,
            server.scheduled_jobs(dynamodb, table_name),
        ):
            serving.start()
            try:
                yield RunningStack(
                    base_url=f"http://{HOST}:{port}",
                    pump=pump,
                    dynamodb=dynamodb,
                    table_name=table_name,
                    api_requests=received,
                )
            finally:
                http_server.shutdown()
                http_server.server_close()
                serving.join(timeout=5)
