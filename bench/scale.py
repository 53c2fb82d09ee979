"""The hottest keys of the table for a large shop, measured by driving the functions at that rate.

The shop: 2,000 tracked events/s, 500 agents, 200 chats starting per minute, one report job. Each
part of the traffic is driven through the functions' handlers (the template's handlers, as API
Gateway, the stream and the scheduler call them) for a window of simulated time at its own rate,
against moto with the capacity meter (bench.capacity) on the functions' client: every request is
billed as DynamoDB bills it and attributed to the partition (key value) it reads or writes. A key's
load is its units in the window divided by the window's seconds, summed over the parts; the
hottest instance of each key shape is set against DynamoDB's per-partition limits (1,000 WCU/s,
3,000 RCU/s). Lambda concurrency is each function's request rate times its handler time here (on
moto, an upper bound).

What the shop does per second (the rates; assumptions marked):
- widget: batches of EVENTS_PER_BATCH events (the widget flushes every 3 s while a shopper acts);
  the stream runs through both consumers in batches of 500 (the template's BatchSize);
- agents: a heartbeat every 30 s and the inbox read every 2 s each (the console's cadence), all
  available;
- chats: CHATS_PER_MINUTE start and as many end; each open chat is read by its visitor every
  1.5 s (the widget's visible poll) and by its agent every 2 s (the console's sync), and has a
  message every MESSAGE_SECONDS (assumed); the sweep runs every minute;
- the nightly report job runs once for the site: its units are per run, not per second.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bench import rees46

TABLE = "klantreis-scale"
EVENTS_PER_SECOND = 2000
EVENTS_PER_BATCH = 5
AGENTS = 500
CHATS_PER_MINUTE = 200
HEARTBEAT_SECONDS = 30
"""The console's heartbeat (web/console, presence HEARTBEAT_MS)."""
INBOX_POLL_SECONDS = 2
"""The console's sync: the agent's inbox and each open chat every 2 s (web/console, desk SYNC_MS)."""
VISITOR_POLL_SECONDS = 1.5
MESSAGE_SECONDS = 20
CHAT_MINUTES = 6
"""Assumed mean length of a chat: open chats = CHATS_PER_MINUTE x CHAT_MINUTES."""
WCU_LIMIT = 1000
RCU_LIMIT = 3000
LAMBDA_CONCURRENCY = 1000
"""An account's default concurrent executions per region."""

TRACK_SECONDS = 2
AGENT_SECONDS = 4
CHAT_SECONDS = 15


@dataclass
class Part:
    """One kind of traffic: its window of simulated seconds and what it cost per partition."""

    name: str
    seconds: float
    wcu: Counter[str] = field(default_factory=Counter)
    rcu: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    calls: Counter[str] = field(default_factory=Counter)
    """Handler calls per function in the window."""
    handler_seconds: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    copies: float = 1
    """How many times the driven sample stands for the shop's traffic: a shared key (not one
    chat's or one visitor's) carries `copies` times what the sample put on it."""

    def load(self, partition: str, units: float) -> float:
        own = re.search(r"#(CHAT|V)#", partition) is not None
        return units / self.seconds * (1 if own else self.copies)


KEY_SHAPES = (
    (r"^SITE#[^#]+$", "SITE#{site}"),
    (r"^SITE#[^#]+#V#.+$", "SITE#{site}#V#{visitor}"),
    (r"^SITE#[^#]+#DAY#.+$", "SITE#{site}#DAY#{day}"),
    (r"^SITE#[^#]+#CHAT#.+$", "SITE#{site}#CHAT#{chat}"),
    (r"^SITE#[^#]+#OFFER#.+$", "SITE#{site}#OFFER#{offer}"),
    (r"^SITE#[^#]+#DISCOUNT#.+$", "SITE#{site}#DISCOUNT#{code}"),
    (r"^SITE#[^#]+#(QUEUE|FEEDBACK|REPORT|PAGES)$", r"SITE#{site}#\1"),
    (r"^STREAMBATCH#pages#.+$", "STREAMBATCH#pages#{batch}"),
    (r"^STREAMBATCH#.+$", "STREAMBATCH#{batch}"),
    (r"^SITEKEY#.+$", "SITEKEY#{hash}"),
    (r"^GSI1 SITE#[^#]+#V#.+$", "GSI1 SITE#{site}#V#{visitor}"),
    (r"^GSI1 (\w+)$", r"GSI1 \1"),
)


def key_shape(partition: str) -> str:
    for pattern, shape in KEY_SHAPES:
        if re.match(pattern, partition):
            return re.sub(pattern, shape, partition)
    return partition


class Driver:
    """Calls the template's handlers in-process and bills what they do to the current part."""

    def __init__(self, meter: Any) -> None:
        from klantreis_local import template

        self.meter = meter
        self.handlers = {spec.logical_id: spec.load_handler() for spec in template.functions()}
        self.owners = {(route.method, route.path): spec.logical_id for spec, route in template.api_routes()}
        """(method, resource) -> the function the template routes it to."""
        self.part: Part | None = None

    @contextmanager
    def window(self, part: Part) -> Iterator[Part]:
        from bench.capacity import Tally

        self.part = part
        self.meter.phase = part.name
        self.meter.tallies[part.name] = Tally()
        yield part
        tally = self.meter.tallies[part.name]
        part.wcu.update(tally.partition_wcu)
        for partition, units in tally.partition_rcu.items():
            part.rcu[partition] += units

    def call(self, function: str, event: dict[str, Any]) -> dict[str, Any]:
        from tests.factories import FakeContext

        assert self.part is not None
        started = time.perf_counter()
        answer: dict[str, Any] = self.handlers[function](event, FakeContext())
        self.part.calls[function] += 1
        self.part.handler_seconds[function] += time.perf_counter() - started
        return answer

    def api(self, function: str, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        from tests.factories import api_event

        answer = self.call(function, api_event(method, path, body=body, **kwargs))
        if answer["statusCode"] >= 300:
            raise RuntimeError(f"{method} {path}: {answer['statusCode']} {answer['body']}")
        return json.loads(answer["body"]) if answer.get("body") else None


def route(
    driver: Driver, method: str, resource: str, ids: dict[str, str], body: Any = None, **kwargs: Any
) -> Any:
    """A request of the chats and agents API on `resource` with its path ids filled in, sent to the
    function the template routes it to (the chat function or the route function)."""
    path = resource.format(**ids)
    function = driver.owners[(method, resource)]
    return driver.api(function, method, path, body, path_parameters=ids, resource=resource, **kwargs)


WIDGET = {"X-Site-Key": rees46.SITE_KEY, "Origin": rees46.ORIGIN, "User-Agent": rees46.USER_AGENT}
OPERATOR = {"sub": "scale-operator", "site_id": rees46.SITE_ID, "role": "operator"}


def agent_claims(agent_id: str) -> dict[str, str]:
    return {"sub": agent_id, "site_id": rees46.SITE_ID, "role": "agent"}


def scheduled_event() -> dict[str, Any]:
    at = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}, "time": at}


# --------------------------------------------------------------------------- the parts
def tracking(driver: Driver, stream: Any, rows: list[rees46.Row]) -> Part:
    """EVENTS_PER_SECOND for TRACK_SECONDS, each batch from its own visitor, then the stream."""
    from bench.replay import replay

    part = Part("tracked events", TRACK_SECONDS)
    batches = []
    start = datetime.now(UTC)
    total = EVENTS_PER_SECOND * TRACK_SECONDS
    for number in range(total // EVENTS_PER_BATCH):
        at = start + timedelta(seconds=number * TRACK_SECONDS / (total // EVENTS_PER_BATCH))
        chosen = [rows[(number * EVENTS_PER_BATCH + i) % len(rows)] for i in range(EVENTS_PER_BATCH)]
        batch_rows = tuple(
            replace(row, number=10_000_000 + number * EVENTS_PER_BATCH + i, at=at, visitor_id=f"sv{number}",
                    session_id=f"ss{number}")
            for i, row in enumerate(chosen)
        )  # fmt: skip
        batches.append(rees46.Batch(f"sv{number}", f"ss{number}", batch_rows))

    def track(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return driver.call("TrackFunction", event)

    with driver.window(part):
        outcome = replay(batches, handler=track)
        if outcome.accepted != total:
            raise RuntimeError(f"tracked {outcome.accepted} of {total} events: {outcome.rejected[:3]}")
        records = stream.drain()
    part.calls["stream records"] = records
    return part


def agents(driver: Driver) -> Part:
    """Every agent's heartbeat and inbox at their cadence for AGENT_SECONDS."""
    part = Part("agents", AGENT_SECONDS)
    heartbeats = round(AGENTS * AGENT_SECONDS / HEARTBEAT_SECONDS)
    inbox_reads = round(AGENTS * AGENT_SECONDS / INBOX_POLL_SECONDS)
    with driver.window(part):
        for n in range(heartbeats):
            agent = f"agent-{n % AGENTS:03d}"
            route(
                driver,
                "POST",
                "/v1/agents/{agent_id}/heartbeat",
                {"agent_id": agent},
                claims=agent_claims(agent),
            )
        for n in range(inbox_reads):
            agent = f"agent-{n % AGENTS:03d}"
            route(
                driver, "GET", "/v1/agents/{agent_id}/chats", {"agent_id": agent}, claims=agent_claims(agent)
            )
    return part


@dataclass
class OpenChat:
    chat_id: str
    token: str
    agent_id: str | None


def start_chat(driver: Driver, number: int) -> OpenChat:
    body = {"visitor_id": f"cv{number}", "session_id": f"cs{number}", "message": "Is dit op voorraad?"}
    started = driver.api("ChatFunction", "POST", "/v1/chats", body, headers=WIDGET)
    agent = started.get("agent") or {}
    return OpenChat(started["chat_id"], started["chat_token"], agent.get("agent_id"))


def chats(driver: Driver, earlier: list[OpenChat]) -> Part:
    """CHATS_PER_MINUTE starting and as many (earlier ones) ending for CHAT_SECONDS."""
    part = Part("chats starting and ending", CHAT_SECONDS)
    starts = round(CHATS_PER_MINUTE * CHAT_SECONDS / 60)
    with driver.window(part):
        for number in range(starts):
            start_chat(driver, 1_000_000 + number)
        for chat in earlier[:starts]:
            claims = agent_claims(chat.agent_id or "agent-000")
            ids = {"chat_id": chat.chat_id}
            route(driver, "POST", "/v1/chats/{chat_id}/end", ids, {"resolved": True}, claims=claims)
    return part


def open_chats(driver: Driver, sample: list[OpenChat]) -> Part:
    """The open chats' visitors polling and writing for CHAT_SECONDS, driven on `sample` chats at
    each chat's own cadence; the shop has CHATS_PER_MINUTE x CHAT_MINUTES of them."""
    copies = CHATS_PER_MINUTE * CHAT_MINUTES / len(sample)
    part = Part("open chats (polls, messages)", CHAT_SECONDS, copies=copies)
    polls = round(len(sample) * CHAT_SECONDS / VISITOR_POLL_SECONDS)
    agent_reads = round(len(sample) * CHAT_SECONDS / INBOX_POLL_SECONDS)
    messages = round(len(sample) * CHAT_SECONDS / MESSAGE_SECONDS)
    with driver.window(part):
        for n in range(polls):
            chat = sample[n % len(sample)]
            headers = {**WIDGET, "X-Chat-Token": chat.token}
            route(driver, "GET", "/v1/chats/{chat_id}", {"chat_id": chat.chat_id}, headers=headers)
        for n in range(agent_reads):
            chat = sample[n % len(sample)]
            claims = agent_claims(chat.agent_id or "agent-000")
            route(driver, "GET", "/v1/chats/{chat_id}", {"chat_id": chat.chat_id}, claims=claims)
        for n in range(messages):
            chat = sample[n % len(sample)]
            headers = {**WIDGET, "X-Chat-Token": chat.token}
            ids = {"chat_id": chat.chat_id}
            route(driver, "POST", "/v1/chats/{chat_id}/messages", ids, {"text": "nog iets"}, headers=headers)
    return part


def sweep(driver: Driver) -> Part:
    """The route sweep, once a minute."""
    part = Part("sweep (every minute)", 60)
    with driver.window(part):
        driver.call("RouteSweepFunction", scheduled_event())
    return part


def report_job(driver: Driver) -> Part:
    """The nightly report job once (units per run: `seconds` is 1)."""
    part = Part("report job (per run)", 1)
    with driver.window(part):
        driver.call("ReportNightlyFunction", scheduled_event())
    return part


# --------------------------------------------------------------------------- the run
def seed(db: Any, driver: Driver) -> None:
    rees46.seed_site(db, TABLE)
    setup = Part("setup", 1)
    with driver.window(setup):
        for n in range(AGENTS):
            agent = f"agent-{n:03d}"
            ids = {"agent_id": agent}
            profile = {"display_name": f"Agent {n}", "max_chats": 3}
            route(driver, "PUT", "/v1/agents/{agent_id}", ids, profile, claims=OPERATOR)
            route(
                driver,
                "PUT",
                "/v1/agents/{agent_id}/status",
                ids,
                {"status": "available"},
                claims=agent_claims(agent),
            )


def measure() -> dict[str, Any]:
    import boto3

    from bench.capacity import CapacityMeter
    from bench.moto_speedup import faster_moto
    from bench.scenarios import quiet
    from klantreis import dynamo
    from klantreis_local import runtime

    rows = [row for row in rees46.load().rows if row.type != "purchase"]
    with runtime.local_dynamodb(TABLE) as db, quiet(), faster_moto():
        meter = CapacityMeter(dynamo.client(), boto3.client("dynamodb", region_name=runtime.REGION), TABLE)
        driver = Driver(meter)
        stream = runtime.StreamPump(db, TABLE)
        seed(db, driver)
        warm = Part("warm-up", 1)
        with driver.window(warm):
            earlier = [
                start_chat(driver, number) for number in range(round(CHATS_PER_MINUTE * CHAT_SECONDS / 60))
            ]
        stream.drain()
        polled = open_chats(driver, earlier)
        parts = [
            tracking(driver, stream, rows),
            agents(driver),
            chats(driver, earlier),
            polled,
            sweep(driver),
        ]
        job = report_job(driver)
    return summarise(parts, job)


def summarise(parts: list[Part], job: Part) -> dict[str, Any]:
    per_key: dict[str, dict[str, float]] = defaultdict(lambda: {"wcu": 0.0, "rcu": 0.0})
    by_part: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(lambda: [0.0, 0.0]))
    for part in parts:
        for partition, units in part.wcu.items():
            per_key[partition]["wcu"] += part.load(partition, units)
            by_part[partition][part.name][0] += part.load(partition, units)
        for partition, read in part.rcu.items():
            per_key[partition]["rcu"] += part.load(partition, read)
            by_part[partition][part.name][1] += part.load(partition, read)
    shapes: dict[str, dict[str, Any]] = {}
    for partition, load in per_key.items():
        shape = shapes.setdefault(
            key_shape(partition), {"instances": 0, "wcu": 0.0, "rcu": 0.0, "total_wcu": 0.0}
        )
        shape["instances"] += 1
        shape["total_wcu"] += load["wcu"]
        if max(load["wcu"], load["rcu"] / 3) >= max(shape["wcu"], shape["rcu"] / 3):
            shape["hottest"] = {
                name: [round(w, 1), round(r, 1)] for name, (w, r) in by_part[partition].items()
            }
        shape["wcu"] = max(shape["wcu"], load["wcu"])
        shape["rcu"] = max(shape["rcu"], load["rcu"])
    for figures in shapes.values():
        figures["over"] = figures["wcu"] > WCU_LIMIT or figures["rcu"] > RCU_LIMIT
        figures["wcu_share"] = round(figures["wcu"] / WCU_LIMIT, 3)
        figures["rcu_share"] = round(figures["rcu"] / RCU_LIMIT, 3)
        for key in ("wcu", "rcu", "total_wcu"):
            figures[key] = round(figures[key], 1)
    ranked = dict(sorted(shapes.items(), key=lambda kv: -max(kv[1]["wcu_share"], kv[1]["rcu_share"])))
    job_keys: dict[str, dict[str, float]] = defaultdict(lambda: {"wcu": 0.0, "rcu": 0.0})
    for partition, units in job.wcu.items():
        job_keys[key_shape(partition)]["wcu"] += units
    for partition, read in job.rcu.items():
        job_keys[key_shape(partition)]["rcu"] += read
    # Concurrency = sum over the parts of requests/s x mean handler seconds in that part.
    concurrency: dict[str, dict[str, float]] = {}
    for part in parts:
        for function, calls in part.calls.items():
            if function in part.handler_seconds:
                rate = calls / part.seconds * part.copies
                entry = concurrency.setdefault(function, {"requests_per_second": 0.0, "concurrency": 0.0})
                entry["requests_per_second"] += rate
                entry["concurrency"] += rate * part.handler_seconds[function] / calls
    for entry in concurrency.values():
        entry["seconds_each"] = round(entry["concurrency"] / entry["requests_per_second"], 4)
        entry["requests_per_second"] = round(entry["requests_per_second"], 1)
        entry["concurrency"] = round(entry["concurrency"], 1)
    return {
        "shop": {
            "events_per_second": EVENTS_PER_SECOND,
            "agents": AGENTS,
            "chats_per_minute": CHATS_PER_MINUTE,
            "open_chats": CHATS_PER_MINUTE * CHAT_MINUTES,
        },
        "windows_seconds": {part.name: part.seconds for part in parts},
        "stream_records_per_second": round(parts[0].calls["stream records"] / parts[0].seconds, 1),
        "keys": ranked,
        "report_job_units_per_run": {
            k: {"wcu": round(v["wcu"], 1), "rcu": round(v["rcu"], 1)} for k, v in job_keys.items()
        },
        "lambda": concurrency,
        "limits": {
            "wcu_per_partition": WCU_LIMIT,
            "rcu_per_partition": RCU_LIMIT,
            "lambda_concurrency": LAMBDA_CONCURRENCY,
        },
    }


def main_table(figures: dict[str, Any], table: Callable[..., str]) -> str:
    rows = [
        [shape, f["instances"], f["wcu"], f"{f['wcu_share']:.0%}", f["rcu"], f"{f['rcu_share']:.0%}",
         "OVER" if f["over"] else "ok"]
        for shape, f in figures["keys"].items()
    ]  # fmt: skip
    return table(["key (hottest instance)", "seen", "WCU/s", "of 1,000", "RCU/s", "of 3,000", ""], rows)
