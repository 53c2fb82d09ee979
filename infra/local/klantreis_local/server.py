"""`make dev`: the template's API on http://127.0.0.1:$PORT through chalice's local server, on an
embedded (or external) DynamoDB seeded with the demo site, with the table's stream feeding the
aggregation function as Lambda would.

The server takes many clients at once (a listen backlog of 128, a thread per connection in front
of the one-at-a-time handlers) and stops cleanly on Ctrl-C or SIGTERM: open connections are
closed for reading, their threads finish the request in hand and are joined, the port is freed.
PORT=0 binds a free port; the banner names it."""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

from chalice.config import Config
from chalice.local import (
    ChaliceRequestHandler,
    CustomLocalChalice,
    LocalChalice,
    LocalDevServer,
    ThreadedHTTPServer,
)

from klantreis_local import console, embedded_dynamodb, heap_profile, runtime, shop, template

HOST = "127.0.0.1"
STREAM_POLL_SECONDS = 1.0
LISTEN_BACKLOG = 128

log = logging.getLogger("klantreis_local")


class RequestLogHandler(ChaliceRequestHandler):
    """chalice's request handler with one log line per request instead of the stdlib's
    access log: `POST /v1/events 200 12.3ms`."""

    started = 0.0

    def _generic_handle(self) -> None:
        self.started = time.perf_counter()
        super()._generic_handle()

    # The base class binds its do_* methods to its own _generic_handle; rebind them to ours.
    # TRACE too: the gateway answers it (405) rather than the stdlib's 501.
    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = _generic_handle

    def __getattr__(self, name: str) -> Any:
        # Any other method (QUERY, PROPFIND, ...) is one no route serves: the gateway answers it
        # as it answers TRACE (405 with Allow, 404 on an unknown path), never with a 501 page.
        if name.startswith("do_"):
            return self._unrouted_method
        raise AttributeError(name)

    def _unrouted_method(self) -> None:
        self.command = "TRACE"
        self._generic_handle()

    def _send_http_response(self, code: int, headers: dict[str, Any], body: str | bytes | None) -> None:
        # Logged before the answer is written: a client that has its answer finds the line logged.
        elapsed_ms = (time.perf_counter() - self.started) * 1000
        log.info("%s %s %s %.1fms", self.command, urlsplit(self.path).path, code, elapsed_ms)
        super()._send_http_response(code, headers, body)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Replaced by the line above."""

    def log_message(self, format: str, *args: Any) -> None:
        # Left for the stdlib's own complaints (malformed request lines and the like).
        log.warning("%s %s", self.address_string(), format % args)


class LocalHTTPServer(ThreadedHTTPServer):
    """chalice's threaded server with a real listen backlog (the stdlib's is 5: a few browser tabs
    and a console already overflow it), whose connection threads are joined when it closes."""

    request_queue_size = LISTEN_BACKLOG
    daemon_threads = False
    block_on_close = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that went away before its answer (a closed tab) is not the server's error.
        if isinstance(sys.exc_info()[1], ConnectionError):
            log.info("client %s:%s went away before its answer", *client_address[:2])
            return
        super().handle_error(request, client_address)

    def server_close(self) -> None:
        """Stops listening, ends idle keep-alive connections (a request in hand still gets its
        answer) and joins their threads."""
        self.socket.close()
        with self._connections_lock:
            open_connections = list(self._connections)
        for connection in open_connections:
            try:
                connection.shutdown(socket.SHUT_RD)
            except OSError:
                continue  # already closed by its client
        super().server_close()


def local_dev_server(app: Any, config: Config, host: str, port: int) -> LocalDevServer:
    """What chalice's create_local_server does (its current request becomes thread-local), with
    this module's server and request handler: `make dev`'s, and the browser tests' and bench's."""
    CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)
    app.__class__ = CustomLocalChalice
    return LocalDevServer(app, config, host, port, handler_cls=RequestLogHandler, server_cls=LocalHTTPServer)


@contextmanager
def stream_pump(
    dynamodb: Any, table_name: str, interval: float = STREAM_POLL_SECONDS
) -> Iterator[runtime.StreamPump]:
    """Delivers the table's stream records to the aggregation function every `interval` seconds,
    as the DynamoDB event source does deployed, until the block ends."""
    from klantreis_local.gateway import HANDLER_LOCK

    pump = runtime.StreamPump(dynamodb, table_name)
    stopping = threading.Event()

    def run() -> None:
        while not stopping.wait(interval):
            try:
                with HANDLER_LOCK:
                    pump.drain()
            except Exception:
                # Deployed, Lambda retries a failed batch; here the next tick does.
                log.exception("stream delivery failed; retrying")

    worker = threading.Thread(target=run, name="stream-pump", daemon=True)
    worker.start()
    try:
        yield pump
    finally:
        stopping.set()
        worker.join(timeout=5)


@contextmanager
def scheduled_jobs(dynamodb: Any, table_name: str, tick: float = 1.0) -> Iterator[None]:
    """Runs the template's scheduled functions at their `rate(...)`, as EventBridge does deployed,
    and keeps the demo agents present (their heartbeat) until their own console signs in (then
    the console's heartbeat is theirs alone: runtime.DemoPresence), until the block ends. Set
    KLANTREIS_DEMO_PRESENCE=0 to let them time out like real agents who closed the console."""
    from klantreis_local.gateway import HANDLER_LOCK, LocalLambdaContext

    jobs = [(spec, spec.load_handler()) for spec in template.functions() if spec.schedule_seconds]
    presence = os.environ.get("KLANTREIS_DEMO_PRESENCE", "1") != "0"
    demo_presence = runtime.DemoPresence()
    stopping = threading.Event()

    def run() -> None:
        started = time.monotonic()
        due = {spec.logical_id: started + (spec.schedule_seconds or 60.0) for spec, _ in jobs}
        presence_due = started
        while not stopping.wait(tick):
            now = time.monotonic()
            if presence and now >= presence_due:
                presence_due = now + runtime.DEMO_HEARTBEAT_SECONDS
                try:
                    with HANDLER_LOCK:
                        runtime.keep_demo_agents_present(dynamodb, table_name, demo_presence)
                except Exception:
                    log.exception("demo agents' heartbeat failed; retrying")
            for spec, handler in jobs:
                if now < due[spec.logical_id]:
                    continue
                due[spec.logical_id] = now + (spec.schedule_seconds or 60.0)
                event = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}
                try:
                    with HANDLER_LOCK:
                        handler(event, LocalLambdaContext(spec, f"schedule-{int(now)}"))
                except Exception:
                    # Deployed, the next scheduled run tries again; here too.
                    log.exception("scheduled %s failed", spec.logical_id)

    worker = threading.Thread(target=run, name="scheduler", daemon=True)
    worker.start()
    try:
        yield
    finally:
        stopping.set()
        worker.join(timeout=5)


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def serve(port: int, host: str = HOST) -> None:
    """Serves until SIGINT or SIGTERM; raises KeyboardInterrupt when it has stopped."""
    started = time.perf_counter()
    signal.signal(signal.SIGTERM, _stop)
    # Handlers' EMF metric lines would drown the request log.
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    # Before the handlers are imported: Powertools reads its settings when the logger is built.
    runtime.configure_environment(runtime.DEFAULT_TABLE)
    from klantreis_local import gateway

    # The stream pump, started below before anything but the seed is written, is the embedded
    # stream's one reader: what it has delivered is dropped, so the stream holds what is unread.
    embedded_dynamodb.drop_records_once_read()
    if retention := os.environ.get("KLANTREIS_STREAM_RETENTION_SECONDS"):
        _keep_stream_for(retention)
    with runtime.local_dynamodb(runtime.DEFAULT_TABLE) as dynamodb:
        app = gateway.build_app()
        shop.mount(app)
        console.mount(app)
        config = Config.create(lambda_timeout=gateway.FUNCTION_TIMEOUT_MS // 1000)
        try:
            local_server = local_dev_server(app, config, host, port)
        except OSError as exc:
            raise SystemExit(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        http_server = local_server.server
        port = http_server.server_address[1]  # the OS's choice when asked for port 0
        try:
            if (
                os.environ.get("KLANTREIS_SEED", "1") != "0"
            ):  # 0: another instance on the same database seeded
                runtime.seed_demo(dynamodb, runtime.DEFAULT_TABLE, port)
            with (
                stream_pump(dynamodb, runtime.DEFAULT_TABLE),
                scheduled_jobs(dynamodb, runtime.DEFAULT_TABLE),
            ):
                _stop_serving_on_signals(http_server)
                _print_banner(host, port, time.perf_counter() - started)
                try:
                    http_server.serve_forever()
                finally:
                    # A second Ctrl-C while closing would only add a traceback.
                    signal.signal(signal.SIGINT, signal.SIG_IGN)
                    signal.signal(signal.SIGTERM, signal.SIG_IGN)
        finally:
            http_server.server_close()
    raise KeyboardInterrupt  # serving ends only on a signal: main says "stopped"


def _stop_serving_on_signals(http_server: LocalHTTPServer) -> None:
    """Once serving, Ctrl-C and SIGTERM ask the serve loop to return instead of raising
    KeyboardInterrupt wherever the main thread is (between accepting a connection and starting
    its thread, or holding a lock), which could leave a thread never started or a lock held.
    `shutdown` waits for the loop, so it runs on a thread of its own."""

    def stop(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=http_server.shutdown, name="shutdown", daemon=True).start()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)


def _keep_stream_for(seconds: str) -> None:
    try:
        retention = timedelta(seconds=float(seconds))
    except ValueError:
        raise SystemExit(f"KLANTREIS_STREAM_RETENTION_SECONDS must be a number, not {seconds!r}") from None
    if retention.total_seconds() < 60:
        raise SystemExit("KLANTREIS_STREAM_RETENTION_SECONDS must be at least 60")
    embedded_dynamodb.set_stream_retention(retention)


def _print_banner(host: str, port: int, startup_seconds: float) -> None:
    base = f"http://{host}:{port}"
    dynamodb = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB") or "embedded (moto)"
    routes = [f"{route.method} {route.path}" for _, route in template.api_routes()]
    print(
        f"Klantreis local stack on {base} (started in {startup_seconds:.1f}s)\n"
        f"  shop      {base}/demo/  (the demo shop with the widget)\n"
        f"  console   {base}/console/  (agents and operators; sign in as mirjam, sven or ops)\n"
        f"  DynamoDB  {dynamodb}, table {runtime.DEFAULT_TABLE}\n"
        f"  site      {runtime.DEMO_SITE}, X-Site-Key: {runtime.DEMO_SITE_KEY}, origin {base}\n"
        f"  token     {base}/dev/token?site_id={runtime.DEMO_SITE}&sub=mirjam&role=agent\n"
        f"  routes    {', '.join(routes)}\n"
        "Ctrl-C stops.",
        flush=True,
    )


def main() -> int:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    try:
        port = int(os.environ.get("PORT") or 3000)
    except ValueError:
        print(f"PORT must be a number, not {os.environ['PORT']!r}", file=sys.stderr)
        return 2
    profile = heap_profile.from_environment()
    try:
        serve(port)
    except KeyboardInterrupt:
        print("stopped", flush=True)
    finally:
        if profile is not None:
            profile.stop()
    return 0
