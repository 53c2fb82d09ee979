"""The report's daily counters from the table's stream, end to end in process against moto: chats
driven through the chat service (assignment, the queue, a requeue, ends, follow-ups, a
conversion), surveys through the survey function, sessions and decisions through the track and
engage functions; the stream pump delivers the records to the aggregation function. Every
counter of the day is checked exactly, and batches delivered again count nothing twice."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from aggregate import handler as aggregate

from engage.handler import lambda_handler as engage
from klantreis import dynamo, keys
from klantreis.agents.dynamo_store import DynamoAgentStore
from klantreis.agents.ports import AgentProfile, AgentStatus
from klantreis.conversations.decisions_dynamo_store import DynamoDecisionReader
from klantreis.conversations.models import Chat
from klantreis.dispatch.placement import NewChat, StartReads
from klantreis.engagement.decide import in_holdout
from klantreis.engagement.records import Decision
from klantreis.engagement.records_dynamo_store import DynamoEngagementRecords
from klantreis.journey.dynamo_store import DynamoSessionStore
from klantreis.projections.changes import decode
from klantreis.projections.counters_dynamo_store import DynamoCounterStore
from klantreis.projections.dynamo_store import DynamoDecisionLookup
from klantreis.projections.report_counters import deltas as report_deltas
from klantreis.secrets import load_key_ring
from klantreis.settings import get_settings
from klantreis.sites import Site
from klantreis.tokens import TokenSigner
from klantreis_local.runtime import DEMO_SITE, DEMO_SITE_KEY, StreamPump, keep_demo_agents_present
from survey.handler import lambda_handler as survey_handler
from tests.chat_tables import DynamoChatStore, chat_desk
from tests.factories import NOON, FakeContext, SetClock, anna_journey, api_event, batch, event
from track.handler import lambda_handler as track_handler

WIDGET = {"X-Site-Key": DEMO_SITE_KEY, "Origin": "http://127.0.0.1:3000"}
T = datetime(2026, 11, 22, 19, 0, tzinfo=UTC)
"""20:00 on 22 November in Amsterdam, the demo site's time zone."""
DAY = "2026-11-22"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def at(self, seconds: float) -> None:
        self.now = T + timedelta(seconds=seconds)


def capturing_pump(dynamodb: Any, table_name: str) -> tuple[StreamPump, list[dict[str, Any]]]:
    """A stream pump feeding the aggregation function, keeping each event it delivered."""
    delivered: list[dict[str, Any]] = []
    consumers: list[Callable[[dict[str, Any], Any], Any]] = [
        aggregate.lambda_handler,
        lambda batch_event, _: delivered.append(batch_event),
    ]
    return StreamPump(dynamodb, table_name, consumers), delivered


def nonzero(counters: dict[str, float]) -> dict[str, float]:
    return {name: value for name, value in counters.items() if value}


def plus(*counts: Mapping[str, float]) -> dict[str, float]:
    total: dict[str, float] = {}
    for one in counts:
        for name, value in one.items():
            total[name] = total.get(name, 0) + value
    return total


def submit_survey(chat_id: str, **answers: int) -> dict[str, Any]:
    token = TokenSigner(load_key_ring(get_settings())).issue("survey", DEMO_SITE, chat_id)
    body = {"chat_id": chat_id, "token": token, **answers}
    answer = survey_handler(api_event("POST", "/v1/surveys", body=body, headers=WIDGET), FakeContext())
    assert answer["statusCode"] in (200, 201), answer["body"]
    return dict(json.loads(answer["body"]))


def survey_day(dynamodb: Any, table_name: str, chat_id: str) -> str:
    key = dynamo.to_item({"PK": keys.chat_pk(DEMO_SITE, chat_id), "SK": keys.SURVEY})
    return str(dynamo.from_item(dynamodb.get_item(TableName=table_name, Key=key)["Item"])["day"])


class Desk:
    """The demo site's chat desk on a clock of its own: mirjam (dameslaarzen, two chats at once)
    present and available, sven (herenschoenen) present but offline."""

    def __init__(self, site: Site, dynamodb: Any, table_name: str) -> None:
        self.site = site
        self.clock = Clock(T)
        self.agents = DynamoAgentStore(dynamodb, table_name)
        self.hire("mirjam", "dameslaarzen", "available")
        self.hire("sven", "herenschoenen", "offline")
        self.chats = DynamoChatStore(dynamodb, table_name)
        ids = iter(f"c{n}" for n in range(1, 10))
        reads = StartReads(
            DynamoSessionStore(dynamodb, table_name), DynamoEngagementRecords(dynamodb, table_name),
            DynamoDecisionReader(dynamodb, table_name),
        )  # fmt: skip
        self.services = chat_desk(
            self.chats, self.agents, reads, clock=self.clock, ids=lambda: next(ids), heartbeat_seconds=3600
        )

    def hire(self, agent_id: str, category: str, status: AgentStatus) -> None:
        self.agents.put(
            AgentProfile(
                site_id=DEMO_SITE, agent_id=agent_id, display_name=agent_id.title(), categories=[category],
                max_chats=2, status=status, last_seen_at=self.clock.now,
            )
        )  # fmt: skip

    def start(self, visitor: str, session: str, category: str) -> str:
        ask = NewChat(visitor_id=visitor, session_id=session, category=category, message="Hallo")
        return self.services.starter.start(self.site, ask).chat.chat_id

    def chat(self, chat_id: str) -> Chat:
        return self.services.lookup.chat(self.site, chat_id)

    def end(self, chat_id: str, resolved: bool | None) -> None:
        self.services.ender.end(self.site, self.chat(chat_id), resolved)


def cells(agent: str, category: str, metrics: dict[str, float]) -> dict[str, float]:
    """The metrics as counted for the agent, the category and the agent x category cell."""
    prefixes = (f"agent#{agent}#", f"category#{category}#", f"agent_category#{agent}#{category}#")
    return {prefix + metric: value for prefix in prefixes for metric, value in metrics.items()}


def test_chats_and_surveys_count_every_transition_once(
    demo_site: Site, dynamodb: Any, table_name: str
) -> None:
    # given the desk
    desk = Desk(demo_site, dynamodb, table_name)
    clock = desk.clock
    stream, delivered = capturing_pump(dynamodb, table_name)

    # when anna's chat goes to mirjam at once, and bram's waits for sven to come online (40 s)
    assert desk.start("anna", "s-1", "dameslaarzen") == "c1"
    assert desk.start("bram", "s-1", "herenschoenen") == "c2"
    assert desk.chat("c2").status == "queued"
    clock.at(40)
    desk.services.presence.set_status(demo_site, "sven", "available")
    # sven goes offline with it (back into the queue) and lotte takes it
    clock.at(60)
    desk.services.presence.set_status(demo_site, "sven", "offline")
    assert desk.chat("c2").status == "queued"
    clock.at(100)
    desk.hire("lotte", "herenschoenen", "available")
    desk.services.queue.drain(demo_site)
    assert desk.chat("c2").agent_id == "lotte"
    # anna's chat ends resolved after 300 s, bram's unresolved after 300 s with lotte
    clock.at(300)
    desk.end("c1", resolved=True)
    clock.at(400)
    desk.end("c2", resolved=False)
    # anna comes back about the same category (a follow-up of her resolved chat), and dirk opens
    # a second chat about his while his first is still open
    clock.at(500)
    assert desk.start("anna", "s-2", "dameslaarzen") == "c3"
    clock.at(510)
    assert desk.start("dirk", "s-1", "dameslaarzen") == "c4"
    clock.at(520)
    assert desk.start("dirk", "s-2", "dameslaarzen") == "c5"
    assert desk.chat("c5").status == "queued"  # mirjam has two chats
    clock.at(600)
    desk.end("c5", resolved=None)  # dirk gives up waiting
    clock.at(700)
    desk.end("c4", resolved=True)  # ...and his first chat ends resolved, followed up all the same
    # anna's first chat converts
    assert desk.chats.mark_converted(desk.chat("c1"), T + timedelta(seconds=800), 296.96)
    # and three visitors answer the survey (the survey function's own clock: today)
    submit_survey("c1", csat=5, nps=10, ces=2)
    submit_survey("c2", csat=2, nps=3)
    submit_survey("c5", nps=8)
    stream.drain()

    # then the chats' day counts each transition once, in the hour they started (20:00 local)
    chat_day = {
        "chats_started": 5, "chats_converted": 1, "h20#chats": 5,
        "chats_assigned": 4, "wait_seconds_sum": 40, "wait_b00": 3, "wait_b06": 1,
        "agent#mirjam#chats": 3, "agent#sven#chats": 1, "agent#lotte#chats": 1,
        "category#dameslaarzen#chats": 3, "category#herenschoenen#chats": 1,
        "chats_ended": 4, "chats_handled": 3, "chats_resolved": 2, "h20#ended": 3,
        "handle_seconds_sum": 300 + 300 + 190, "h20#handle_seconds": 790,
        "chats_resolved_followed_up": 2,
        "agent#mirjam#conversions": 1, "category#dameslaarzen#conversions": 1,
        # per agent x category, and the service figures of every breakdown (issue 11)
        "agent_category#mirjam#dameslaarzen#chats": 3, "agent_category#sven#herenschoenen#chats": 1,
        "agent_category#lotte#herenschoenen#chats": 1, "agent_category#mirjam#dameslaarzen#conversions": 1,
        **cells("mirjam", "dameslaarzen", {
            "waits": 3, "answered_in_time": 3, "handled": 2, "handled_resolved": 2,
            "handled_resolved_followed_up": 2, "revenue": 296.96,
        }),
        **cells("sven", "herenschoenen", {"waits": 1, "wait_seconds_sum": 40}),
        **cells("lotte", "herenschoenen", {"handled": 1}),
        "chat_revenue": 296.96,
    }  # fmt: skip
    # and the surveys' day their answers, per agent (c5 had none) and per category
    surveys = {
        "surveys": 3, "csat_n": 2, "csat_good": 1, "csat_sum": 7, "nps_n": 3, "nps_promoters": 1,
        "nps_detractors": 1, "ces_n": 1, "ces_sum": 2,
        "agent#mirjam#csat_n": 1, "agent#mirjam#csat_good": 1, "agent#mirjam#nps_n": 1,
        "agent#mirjam#nps_promoters": 1,
        "agent#lotte#csat_n": 1, "agent#lotte#nps_n": 1, "agent#lotte#nps_detractors": 1,
        "category#dameslaarzen#csat_n": 1, "category#dameslaarzen#csat_good": 1,
        "category#dameslaarzen#nps_n": 2, "category#dameslaarzen#nps_promoters": 1,
        "category#herenschoenen#csat_n": 1, "category#herenschoenen#nps_n": 1,
        "category#herenschoenen#nps_detractors": 1,
        "agent#mirjam#ces_n": 1, "agent#mirjam#ces_sum": 2, "category#dameslaarzen#ces_n": 1,
        "category#dameslaarzen#ces_sum": 2,
        "agent_category#mirjam#dameslaarzen#csat_n": 1, "agent_category#mirjam#dameslaarzen#csat_good": 1,
        "agent_category#mirjam#dameslaarzen#nps_n": 1, "agent_category#mirjam#dameslaarzen#nps_promoters": 1,
        "agent_category#mirjam#dameslaarzen#ces_n": 1, "agent_category#mirjam#dameslaarzen#ces_sum": 2,
        "agent_category#lotte#herenschoenen#csat_n": 1, "agent_category#lotte#herenschoenen#nps_n": 1,
        "agent_category#lotte#herenschoenen#nps_detractors": 1,
    }  # fmt: skip
    today = survey_day(dynamodb, table_name, "c1")
    assert {survey_day(dynamodb, table_name, c) for c in ("c2", "c5")} == {today}
    expected = {DAY: chat_day, today: surveys} if today != DAY else {DAY: plus(chat_day, surveys)}
    counters = DynamoCounterStore(dynamodb, table_name)
    counted = {day: nonzero(counters.day_counters(DEMO_SITE, day)) for day in expected}
    assert counted == expected

    # when every batch is delivered again (Lambda retrying them)
    assert delivered
    for retried in delivered:
        aggregate.lambda_handler(retried, FakeContext())
    stream.drain()
    # then nothing counts twice
    assert {day: nonzero(counters.day_counters(DEMO_SITE, day)) for day in expected} == expected


def visitor(prefix: str, holdout: bool) -> str:
    return next(
        f"{prefix}-{n}" for n in range(1000) if in_holdout(DEMO_SITE, f"{prefix}-{n}", 0.10) == holdout
    )


def track(visitor_id: str, *events: dict[str, Any], sent_at: datetime | None = None) -> None:
    body = batch(*events, visitor_id=visitor_id, session_id="s-1", sent_at=sent_at)
    answer = track_handler(api_event("POST", "/v1/events", body=body, headers=WIDGET), FakeContext())
    assert answer["statusCode"] == 200, answer["body"]


def decide(visitor_id: str) -> dict[str, Any]:
    body = {"visitor_id": visitor_id, "session_id": "s-1", "idle_seconds": 30}
    answer = engage(api_event("POST", "/v1/engagement/decide", body=body, headers=WIDGET), FakeContext())
    assert answer["statusCode"] == 200, answer["body"]
    return dict(json.loads(answer["body"]))


def test_sessions_that_buy_count_in_their_arm_of_the_experiment_once(
    demo_site: Site, dynamodb: Any, table_name: str, noon_clock: SetClock
) -> None:
    # given Anna-like visitors: one offered a chat, one in the holdout, one never decided on
    offered, held_out, undecided = visitor("offered", False), visitor("held", True), "undecided"
    stream, delivered = capturing_pump(dynamodb, table_name)
    keep_demo_agents_present(dynamodb, table_name)
    for visitor_id in (offered, held_out, undecided):
        track(visitor_id, *anna_journey())
    noon_clock.now = NOON + timedelta(seconds=30)
    assert decide(offered)["reason"] == "qualified"
    assert decide(held_out)["reason"] == "holdout"
    stream.drain()

    # when all three buy (the offered one twice, in two batches), each purchase sent at once
    # (the track function dates it at its arrival: after the decisions)
    purchase: dict[str, Any] = {"value": 329.95, "currency": "EUR", "at": T}
    noon_clock.now = NOON + timedelta(seconds=60)
    for visitor_id in (offered, held_out, undecided):
        track(visitor_id, event("purchase", **purchase), sent_at=T)
    stream.drain()
    track(offered, event("purchase", **purchase), sent_at=T)
    stream.drain()

    # then each decided session counts once in its arm, on the decision's day
    sessions = DynamoSessionStore(dynamodb, table_name)
    states = [sessions.get(DEMO_SITE, v, "s-1") for v in (offered, held_out, undecided)]
    assert all(state is not None and state.first_local_hour is not None for state in states)
    assert {day for state in states if state for day in state.days} == {DAY}
    day = DAY
    counters = DynamoCounterStore(dynamodb, table_name)
    counted = counters.day_counters(DEMO_SITE, day)
    assert counted["offered_converted_sessions"] == 1
    assert counted["holdout_converted_sessions"] == 1
    assert (counted["offered_sessions"], counted["holdout_sessions"]) == (1, 1)
    assert (counted["purchase_sessions"], counted["purchases"], counted["revenue"]) == (3, 4, 1319.8)
    # and the sessions arrived in the local hour of their first event
    hours = [state.first_local_hour for state in states if state]
    for hour in set(hours):
        assert counted[f"h{hour:02d}#sessions"] == hours.count(hour)

    # when every batch is delivered again, then nothing counts twice
    before = nonzero(counted)
    for retried in delivered:
        aggregate.lambda_handler(retried, FakeContext())
    assert nonzero(counters.day_counters(DEMO_SITE, day)) == before


def survey_record(n: int) -> dict[str, Any]:
    item = {
        "PK": keys.chat_pk(DEMO_SITE, f"c{n}"), "SK": keys.SURVEY, "at": T.isoformat(), "day": DAY,
        "csat": 5, "agent_id": f"agent{n:03d}", "category": f"cat{n:03d}",
    }  # fmt: skip
    change = {"Keys": dynamo.to_item({"PK": item["PK"], "SK": item["SK"]}), "NewImage": dynamo.to_item(item)}
    return {"eventID": f"e{n}", "eventName": "INSERT", "dynamodb": change | {"SequenceNumber": str(n)}}


def test_a_day_with_hundreds_of_counters_in_one_batch_is_counted_exactly_once(
    demo_site: Site, dynamodb: Any, table_name: str
) -> None:
    # given one batch of 120 surveys of 120 agents in 120 categories (724 counters of one day,
    # more than four updates of the day's four slot items can hold in one transaction)
    records = [survey_record(n) for n in range(120)]
    assert len(report_deltas(decode(records))[(DEMO_SITE, DAY)]) == 724
    # when it is delivered, and delivered again
    aggregate.lambda_handler({"Records": records}, FakeContext())
    counters = DynamoCounterStore(dynamodb, table_name)
    first = nonzero(counters.day_counters(DEMO_SITE, DAY))
    aggregate.lambda_handler({"Records": records}, FakeContext())
    # then every counter is there once
    assert first == nonzero(counters.day_counters(DEMO_SITE, DAY))
    assert {name: first[name] for name in ("surveys", "csat_n", "csat_good", "csat_sum")} == {
        "surveys": 120, "csat_n": 120, "csat_good": 120, "csat_sum": 600,
    }  # fmt: skip
    assert len(first) == 724
    assert all(first[f"agent#agent{n:03d}#csat_good"] == 1 for n in range(120))
    assert all(first[f"category#cat{n:03d}#csat_n"] == 1 for n in range(120))


def test_the_decision_lookup_reads_the_gain_policys_verdict(dynamodb: Any, table_name: str) -> None:
    # given a session's holdout decision of the gain policy (it would have offered) and one of the rules
    records = DynamoEngagementRecords(dynamodb, table_name)
    for n, (policy, policy_offer) in enumerate((("gain", True), ("rules", None))):
        records.record(
            Decision(
                site_id=DEMO_SITE, visitor_id="v-1", session_id=f"s-{n}", decision_id=f"d-{n}", at=T,
                day=DAY, reason="holdout", first_in_session=True, qualified=True, would_have_offered=True,
                policy=policy, policy_offer=policy_offer,
            ),
            None,
            None,
        )  # fmt: skip
    lookup = DynamoDecisionLookup(dynamodb, table_name)
    since, until = T - timedelta(days=1), T + timedelta(days=1)
    # then the uplift projection sees the verdict: like with like for the first, not the second
    (gain,) = lookup.session_decisions(DEMO_SITE, "v-1", "s-0", since, until)
    (ruled,) = lookup.session_decisions(DEMO_SITE, "v-1", "s-1", since, until)
    assert (gain.policy, gain.policy_offer, gain.gain_like) == ("gain", True, True)
    assert ruled.policy != "gain"
    assert (ruled.policy_offer, ruled.gain_like) == (None, False)
