"""Chats, agents, queues and surveys over HTTP through the local gateway: Anna's chat from offer to
survey, the chatbot hand-off, routing learning from surveys, the queue and its order, agents who
leave (status or silence), tenancy on every endpoint, and bad input. Never a 5xx."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chat import dependencies
from klantreis.agents.dynamo_store import DynamoAgentStore
from klantreis.engagement.decide import in_holdout
from klantreis.engagement.records_dynamo_store import DynamoEngagementRecords
from klantreis.sites import Site
from klantreis.sites.dynamo_store import DynamoSiteStore
from klantreis.tokens import SURVEY_TOKEN_SECONDS
from klantreis_local import template
from klantreis_local.runtime import DEMO_SITE
from tests.chat_tables import DynamoChatStore
from tests.e2e.conftest import WIDGET, Answer, Api
from tests.factories import FakeContext, anna_journey, batch, event, iso

HOLDOUT_SHARE = 0.10  # the demo seed's
OTHER_SITE = "other"
OTHER_KEY = "other-site-key"
OTHER_WIDGET = {
    "X-Site-Key": OTHER_KEY,
    "Origin": "https://other.example",
    "Content-Type": "application/json",
}
JSON = {"Content-Type": "application/json"}
MIRJAM_PROFILE = {
    "display_name": "Mirjam",
    "categories": ["dameslaarzen", "herenschoenen"],
    "max_chats": 2,
    "discount_mandate_percent": 15,
}


class Shop:
    """The demo shop's widget, agents and operator as clients; every answer is checked for 5xx."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self._tokens: dict[tuple[str, str, str], str] = {}

    def call(
        self, method: str, path: str, *, body: Any = None, headers: dict[str, str] | None = None
    ) -> Answer:
        answer = self.api.request(method, path, body=body, headers=headers)
        assert answer.status < 500, (method, path, answer)
        return answer

    def bearer(self, sub: str = "ops", role: str = "operator", site_id: str = DEMO_SITE) -> dict[str, str]:
        key = (site_id, sub, role)
        if key not in self._tokens:
            self._tokens[key] = self.api.token(site_id=site_id, sub=sub, role=role)
        return {"Authorization": f"Bearer {self._tokens[key]}", **JSON}

    def agent(self, sub: str) -> dict[str, str]:
        return self.bearer(sub, "agent")

    @property
    def ops(self) -> dict[str, str]:
        return self.bearer()

    # ------------------------------------------------------------------ widget
    def start(
        self,
        visitor_id: str,
        session_id: str = "s-1",
        message: str = "Hallo, ik heb een vraag",
        **fields: Any,
    ) -> Answer:
        body = {"visitor_id": visitor_id, "session_id": session_id, "message": message, **fields}
        return self.call("POST", "/v1/chats", body=body, headers=WIDGET)

    def started(self, visitor_id: str, session_id: str = "s-1", **fields: Any) -> dict[str, Any]:
        answer = self.start(visitor_id, session_id, **fields)
        assert answer.status == 201, answer
        started: dict[str, Any] = answer.json
        return started

    @staticmethod
    def widget(started: dict[str, Any]) -> dict[str, str]:
        return {**WIDGET, "X-Chat-Token": started["chat_token"]}

    def survey(
        self, started: dict[str, Any], headers: dict[str, str] | None = None, **answers: Any
    ) -> Answer:
        body = {"chat_id": started["chat_id"], "token": started["survey_token"], **answers}
        return self.call("POST", "/v1/surveys", body=body, headers=headers or WIDGET)

    # ------------------------------------------------------------------ chats
    def read(self, chat_id: str, headers: dict[str, str] | None = None, since: str | None = None) -> Answer:
        query = f"?since={since}" if since is not None else ""
        return self.call("GET", f"/v1/chats/{chat_id}{query}", headers=headers or self.ops)

    def chat(self, chat_id: str) -> dict[str, Any]:
        answer = self.read(chat_id)
        assert answer.status == 200, answer
        chat: dict[str, Any] = answer.json
        return chat

    def say(self, chat_id: str, text: str, headers: dict[str, str]) -> Answer:
        return self.call("POST", f"/v1/chats/{chat_id}/messages", body={"text": text}, headers=headers)

    def discount(self, chat_id: str, percent: Any, headers: dict[str, str]) -> Answer:
        return self.call("POST", f"/v1/chats/{chat_id}/discounts", body={"percent": percent}, headers=headers)

    def end(self, chat_id: str, resolved: bool = True, headers: dict[str, str] | None = None) -> Answer:
        return self.call(
            "POST", f"/v1/chats/{chat_id}/end", body={"resolved": resolved}, headers=headers or self.ops
        )

    # ------------------------------------------------------------------ agents
    def set_status(self, agent_id: str, status: str, headers: dict[str, str] | None = None) -> Answer:
        return self.call(
            "PUT", f"/v1/agents/{agent_id}/status", body={"status": status}, headers=headers or self.ops
        )

    def heartbeat(self, *agent_ids: str) -> None:
        """The agents' consoles report in (a long test outlasts the seed's heartbeat)."""
        for agent_id in agent_ids:
            beat = self.call("POST", f"/v1/agents/{agent_id}/heartbeat", headers=self.agent(agent_id))
            assert beat.status == 200, beat

    def agents(self) -> dict[str, dict[str, Any]]:
        answer = self.call("GET", "/v1/agents", headers=self.ops)
        assert answer.status == 200, answer
        return {a["agent_id"]: a for a in answer.json["agents"]}

    def put_agent(
        self, agent_id: str, profile: dict[str, Any], headers: dict[str, str] | None = None
    ) -> Answer:
        return self.call("PUT", f"/v1/agents/{agent_id}", body=profile, headers=headers or self.ops)


@pytest.fixture
def shop(api: Api) -> Shop:
    return Shop(api)


@pytest.fixture
def other_site(dynamodb: Any, table_name: str) -> Site:
    sites = DynamoSiteStore(dynamodb, table_name)
    site = Site(site_id=OTHER_SITE, name="Other shop", allowed_origins=["https://other.example"])
    sites.put(site)
    sites.add_key(OTHER_SITE, OTHER_KEY)
    return site


@pytest.fixture
def agents(dynamodb: Any, table_name: str) -> DynamoAgentStore:
    return DynamoAgentStore(dynamodb, table_name)


@pytest.fixture
def chats(dynamodb: Any, table_name: str) -> DynamoChatStore:
    return DynamoChatStore(dynamodb, table_name)


def visitor_outside_holdout(prefix: str) -> str:
    return next(
        f"{prefix}-{n}" for n in range(100) if not in_holdout(DEMO_SITE, f"{prefix}-{n}", HOLDOUT_SHARE)
    )


def track_cart(shop: Shop, visitor_id: str, value: float, session_id: str = "s-1") -> None:
    boots: dict[str, Any] = {
        "product_id": "b-39",
        "category": "dameslaarzen",
        "value": value,
        "currency": "EUR",
    }
    answer = shop.api.post_events(
        batch(event("add_to_cart", **boots), visitor_id=visitor_id, session_id=session_id)
    )
    assert answer.status == 200, answer


# ====================================================================== 1. Anna's story
def _anna_is_offered_a_chat(shop: Shop) -> tuple[str, str]:
    """Anna tracked to checkout step 2 and offered a chat: (visitor id, offer id)."""
    anna = visitor_outside_holdout("anna")
    assert shop.api.post_events(batch(*anna_journey(), visitor_id=anna)).status == 200
    decided = shop.call(
        "POST", "/v1/engagement/decide", body={"visitor_id": anna, "session_id": "s-1", "idle_seconds": 30},
        headers=WIDGET,
    )  # fmt: skip
    assert (decided.status, decided.json["offer"]) == (200, True), decided
    return anna, decided.json["offer_id"]


def _mirjam_reads_annas_journey(shop: Shop, chat_id: str, offer_id: str) -> None:
    mirjam = shop.agent("mirjam")
    read = shop.read(chat_id, mirjam)
    assert read.status == 200, read
    assert (read.json["status"], read.json["agent"]["agent_id"], read.json["category"]) == (
        "assigned", "mirjam", "dameslaarzen",
    )  # fmt: skip
    assert [(m["author"], m["text"]) for m in read.json["messages"]] == [
        ("visitor", "Zijn deze laarzen er ook in 40?")
    ]
    context = shop.call("GET", f"/v1/chats/{chat_id}/context", headers=mirjam)
    assert context.status == 200, context
    journey = context.json
    assert journey["session_found"] is True
    views = {page["url"]: page["views"] for page in journey["pages"]}
    assert views["https://shop.example/laarzen/bruin"] == 3  # query strings folded into one page
    assert views["https://shop.example/laarzen"] == 1
    assert journey["cart_value"] == pytest.approx(329.95)
    assert [(item["product_id"], item["quantity"]) for item in journey["cart"]] == [("b-39", 1)]
    assert journey["furthest_checkout_step"] == 2
    assert journey["dropped_out_at_checkout"] is True
    assert 0 <= journey["score_at_offer"] <= 1
    assert journey["latest_decision"]["offer_id"] == offer_id
    assert 0 <= journey["latest_decision"]["score"] <= 1
    assert (journey["products"][0]["product_id"], journey["products"][0]["views"]) == ("b-39", 3)


def _anna_and_mirjam_talk(shop: Shop, started: dict[str, Any]) -> None:
    """Messages both ways; `since` returns only newer ones."""
    chat_id, widget, mirjam = started["chat_id"], shop.widget(started), shop.agent("mirjam")
    first = shop.read(chat_id, widget)
    assert first.status == 200, first
    reply = shop.say(chat_id, "Goedenavond Anna, ja: maat 40 is er nog.", mirjam)
    assert reply.status == 201, reply
    assert (reply.json["author"], reply.json["agent_id"]) == ("agent", "mirjam")
    newer = shop.read(chat_id, widget, since=first.json["next_since"])
    assert [(m["author"], m["text"]) for m in newer.json["messages"]] == [
        ("agent", "Goedenavond Anna, ja: maat 40 is er nog.")
    ]
    answer = shop.say(chat_id, "Fijn! Kan er iets van de prijs af?", widget)
    assert (answer.status, answer.json["author"], answer.json["agent_id"]) == (201, "visitor", None)
    for_mirjam = shop.read(chat_id, mirjam, since=newer.json["next_since"])
    assert [m["text"] for m in for_mirjam.json["messages"]] == ["Fijn! Kan er iets van de prijs af?"]
    cursor = for_mirjam.json["next_since"]
    nothing_new = shop.read(chat_id, widget, since=cursor)
    assert (nothing_new.json["messages"], nothing_new.json["next_since"]) == ([], cursor)
    assert len(shop.read(chat_id, widget).json["messages"]) == 3


def _mirjam_gives_a_discount_within_her_mandate(shop: Shop, chat_id: str) -> None:
    mirjam = shop.agent("mirjam")
    given = shop.discount(chat_id, 10, mirjam)
    assert given.status == 201, given
    assert (given.json["percent"], given.json["chat_id"]) == (10, chat_id)
    assert given.json["code"].startswith("KR-")
    above = shop.discount(chat_id, 20, mirjam)  # her mandate is 15%
    assert (above.status, above.error_code) == (403, "forbidden")
    assert shop.discount(chat_id, 5, mirjam).status == 409  # one code per chat
    read = shop.chat(chat_id)
    assert (read["discount_code"], read["discount_percent"]) == (given.json["code"], 10)


def test_annas_chat_from_offer_to_survey(shop: Shop, dynamodb: Any, table_name: str) -> None:
    # given Anna tracked to checkout step 2 and offered a chat
    anna, offer_id = _anna_is_offered_a_chat(shop)

    # when she accepts by starting a chat from the offer
    started = shop.started(anna, offer_id=offer_id, message="Zijn deze laarzen er ook in 40?")

    # then Mirjam (dameslaarzen, from the offer and cart) has it, and the offer counts as accepted
    assert started["status"] == "assigned"
    assert started["agent"] == {"agent_id": "mirjam", "display_name": "Mirjam"}
    assert started["chat_token"]
    assert started["survey_token"]
    chat_id = started["chat_id"]
    offer = DynamoEngagementRecords(dynamodb, table_name).offer(DEMO_SITE, offer_id)
    assert offer is not None
    assert (offer.response, offer.chat_id) == ("accepted", chat_id)
    again = shop.start(anna, offer_id=offer_id)
    assert (again.status, again.error_code) == (409, "conflict")
    other_session = shop.start(anna, "s-2", offer_id=offer_id)
    assert (other_session.status, other_session.error_code) == (409, "conflict")

    # and Mirjam reads Anna's journey, they talk, and she gives a discount within her mandate
    _mirjam_reads_annas_journey(shop, chat_id, offer_id)
    _anna_and_mirjam_talk(shop, started)
    _mirjam_gives_a_discount_within_her_mandate(shop, chat_id)

    # when the chat ends resolved, Anna answers the survey, once
    ended = shop.end(chat_id, True, shop.agent("mirjam"))
    assert (ended.status, ended.json) == (200, {"chat_id": chat_id, "status": "ended", "resolved": True})
    surveyed = shop.survey(started, csat=5, nps=10, ces=2)
    assert surveyed.status == 201, surveyed
    assert (surveyed.json["chat_id"], surveyed.json["csat"], surveyed.json["nps"], surveyed.json["ces"]) == (
        chat_id, 5, 10, 2,
    )  # fmt: skip
    second = shop.survey(started, csat=1)
    assert (second.status, second.error_code) == (409, "conflict")

    # then Mirjam's slot is free again
    after = shop.agents()["mirjam"]
    assert (after["active_chats"], after["chat_ids"], after["free_slots"]) == (0, [], 2)
    final = shop.chat(chat_id)
    assert (final["status"], final["resolved"]) == ("ended", True)


# ====================================================================== 2. chatbot hand-off
def test_a_chatbot_transcript_comes_first_in_order(shop: Shop) -> None:
    # given a chatbot conversation the visitor had before asking for a person
    began = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=3)
    transcript = [
        {"author": "bot", "text": "Hoi! Waar kan ik mee helpen?", "at": iso(began)},
        {"author": "visitor", "text": "Mijn bestelling is niet aangekomen"},
        {"author": "bot", "text": "Ik verbind je met een collega."},
    ]

    # when the chat starts with it
    started = shop.started("bart", message="Hallo?", category="herenschoenen", transcript=transcript)

    # then the agent reads the transcript first, in its order, then the visitor's own message
    messages = shop.read(started["chat_id"], shop.widget(started)).json["messages"]
    assert [(m["author"], m["text"], m["from_bot"]) for m in messages] == [
        ("bot", "Hoi! Waar kan ik mee helpen?", True),
        ("visitor", "Mijn bestelling is niet aangekomen", True),
        ("bot", "Ik verbind je met een collega.", True),
        ("visitor", "Hallo?", False),
    ]
    assert datetime.fromisoformat(messages[0]["at"]) == began
    agent = started["agent"]["agent_id"]
    assert [m["text"] for m in shop.read(started["chat_id"], shop.agent(agent)).json["messages"]] == [
        m["text"] for m in messages
    ]


# ====================================================================== 3. routing learns
def test_routing_favours_the_agent_visitors_rate_well(shop: Shop) -> None:
    # given Sven serves dameslaarzen too
    sven_profile = {
        "display_name": "Sven",
        "categories": ["herenschoenen", "sneakers", "dameslaarzen"],
        "max_chats": 2,
        "discount_mandate_percent": 10,
    }
    assert shop.put_agent("sven", sven_profile).status == 200

    # and eight surveyed dameslaarzen chats each: Mirjam's rated top, Sven's poorly
    def history(agent_id: str, other: str, csat: int, nps: int) -> None:
        assert shop.set_status(other, "away").status == 200
        for n in range(8):
            shop.heartbeat(agent_id)
            started = shop.started(f"hist-{agent_id}-{n}", category="dameslaarzen")
            assert started["agent"]["agent_id"] == agent_id, started
            assert shop.end(started["chat_id"]).status == 200
            assert shop.survey(started, csat=csat, nps=nps).status == 201
        assert shop.set_status(other, "available").status == 200

    history("mirjam", "sven", csat=5, nps=10)
    history("sven", "mirjam", csat=1, nps=2)
    free = shop.agents()
    assert [free[a]["free_slots"] for a in ("mirjam", "sven")] == [2, 2]

    # when 30 new dameslaarzen chats arrive while both are free
    got: Counter[str] = Counter()
    for n in range(30):
        if n % 5 == 0:
            shop.heartbeat("mirjam", "sven")
        started = shop.started(f"new-{n}", category="dameslaarzen")
        assert started["status"] == "assigned", started
        got[started["agent"]["agent_id"]] += 1
        assert shop.end(started["chat_id"]).status == 200  # both stay free

    # then Mirjam gets at least 80% of them (Thompson sampling on this evidence gives her >99%)
    assert got["mirjam"] >= 24, got
    assert got["mirjam"] + got["sven"] == 30


# ====================================================================== 4. queue
def test_the_queue_is_served_by_priority_when_a_slot_frees(shop: Shop) -> None:
    # given Mirjam (the only dameslaarzen agent) in two chats
    busy = [shop.started(f"busy-{n}", category="dameslaarzen") for n in range(2)]
    assert [b["agent"]["agent_id"] for b in busy] == ["mirjam", "mirjam"]

    # when a visitor with an empty cart asks
    low = shop.started("low", category="dameslaarzen")

    # then the chat is queued with its place and expected wait
    assert (low["status"], low["agent"], low["queue_position"]) == ("queued", None, 1)
    assert isinstance(low["expected_wait_seconds"], int)
    assert low["expected_wait_seconds"] > 0

    # and a later visitor with a valuable cart is queued ahead of the earlier one
    track_cart(shop, "high", 329.95)
    high = shop.started("high", category="dameslaarzen")
    assert (high["status"], high["queue_position"]) == ("queued", 1)
    assert high["expected_wait_seconds"] <= low["expected_wait_seconds"]
    # and served first: the queue is in priority order
    assert shop.chat(high["chat_id"])["queue_position"] == 1
    assert shop.chat(low["chat_id"])["queue_position"] == 2
    assert shop.read(low["chat_id"], shop.widget(low)).json["status"] == "queued"

    # when Mirjam ends a chat, the valuable one is hers
    assert shop.end(busy[0]["chat_id"], headers=shop.agent("mirjam")).status == 200
    served = shop.chat(high["chat_id"])
    assert (served["status"], served["agent"]["agent_id"], served["queue_position"]) == (
        "assigned", "mirjam", None,
    )  # fmt: skip
    waiting = shop.chat(low["chat_id"])
    assert (waiting["status"], waiting["queue_position"]) == ("queued", 1)

    # and the next freed slot takes the older one
    assert shop.end(busy[1]["chat_id"]).status == 200
    last = shop.read(low["chat_id"], shop.widget(low)).json
    assert (last["status"], last["agent"]["agent_id"]) == ("assigned", "mirjam")
    assert shop.agents()["mirjam"]["active_chats"] == 2


def test_a_queued_chat_goes_to_the_agent_who_becomes_available(shop: Shop) -> None:
    # given both agents away
    for agent_id in ("mirjam", "sven"):
        assert shop.set_status(agent_id, "away", shop.agent(agent_id)).status == 200

    # when two herenschoenen chats arrive
    first = shop.started("first", category="herenschoenen")
    second = shop.started("second", category="herenschoenen")

    # then both wait, in order
    assert (first["status"], first["queue_position"]) == ("queued", 1)
    assert "expected_wait_seconds" in first  # nobody serving: no estimate to give (null)
    assert (second["status"], second["queue_position"]) == ("queued", 2)

    # when Sven comes back, he takes both (two slots), oldest first in the records
    back = shop.set_status("sven", "available", shop.agent("sven"))
    assert back.status == 200, back
    assert back.json["active_chats"] == 2
    for started in (first, second):
        read = shop.read(started["chat_id"], shop.widget(started)).json
        assert (read["status"], read["agent"]["agent_id"]) == ("assigned", "sven")


# ====================================================================== 5. reassign on offline
def test_an_agent_going_offline_hands_chats_to_a_colleague(shop: Shop, chats: DynamoChatStore) -> None:
    # given Mirjam in a herenschoenen chat and Sven (herenschoenen too) free
    assert shop.set_status("sven", "away").status == 200
    started = shop.started("klant", category="herenschoenen")
    assert started["agent"]["agent_id"] == "mirjam"
    assert shop.set_status("sven", "available").status == 200

    # when Mirjam goes offline
    offline = shop.set_status("mirjam", "offline", shop.agent("mirjam"))
    assert offline.status == 200, offline
    assert (offline.json["status"], offline.json["active_chats"], offline.json["chat_ids"]) == (
        "offline", 0, [],
    )  # fmt: skip

    # then the chat is Sven's, as the visitor and Sven see it
    read = shop.read(started["chat_id"], shop.widget(started)).json
    assert (read["status"], read["agent"]) == ("assigned", {"agent_id": "sven", "display_name": "Sven"})
    assert shop.say(started["chat_id"], "Ik neem het over", shop.agent("sven")).status == 201
    assert shop.say(started["chat_id"], "Nog even iets", shop.agent("mirjam")).status == 403
    assert shop.agents()["sven"]["chat_ids"] == [started["chat_id"]]
    records = sorted(chats.routing_records(DEMO_SITE, started["chat_id"]), key=lambda r: r.at)
    assert [(r.outcome, r.agent_id) for r in records] == [
        ("assigned", "mirjam"), ("requeued", "mirjam"), ("assigned", "sven"),
    ]  # fmt: skip


def test_an_agent_going_offline_with_nobody_to_take_over_queues_the_chat(shop: Shop) -> None:
    # given Mirjam in a dameslaarzen chat (nobody else serves it)
    started = shop.started("laars", category="dameslaarzen")
    assert started["agent"]["agent_id"] == "mirjam"

    # when she goes offline
    assert shop.set_status("mirjam", "offline", shop.agent("mirjam")).status == 200

    # then the chat waits in the queue, and is hers again when she is back
    read = shop.chat(started["chat_id"])
    assert (read["status"], read["agent"], read["queue_position"]) == ("queued", None, 1)
    assert shop.set_status("mirjam", "available", shop.agent("mirjam")).status == 200
    assert shop.chat(started["chat_id"])["agent"]["agent_id"] == "mirjam"


# ====================================================================== 6. heartbeat timeout
def test_a_silent_agent_counts_as_offline_and_the_sweep_moves_their_chats(
    shop: Shop, agents: DynamoAgentStore
) -> None:
    # given Mirjam in a herenschoenen chat, then her console goes silent for ten minutes
    assert shop.set_status("sven", "away").status == 200
    started = shop.started("stil", category="herenschoenen")
    assert started["agent"]["agent_id"] == "mirjam"
    assert shop.set_status("sven", "available").status == 200
    mirjam = agents.get(DEMO_SITE, "mirjam")
    assert mirjam is not None
    agents.put(mirjam.model_copy(update={"last_seen_at": datetime.now(UTC) - timedelta(minutes=10)}))

    # then she shows as offline, with no free slots, though she last set `available`
    listed = shop.agents()["mirjam"]
    assert (listed["status"], listed["set_status"], listed["free_slots"]) == ("offline", "available", 0)

    # and a new herenschoenen chat goes to Sven
    fresh = shop.started("vers", category="herenschoenen")
    assert fresh["agent"]["agent_id"] == "sven"

    # when the scheduled sweep runs
    totals = template.handler("RouteSweepFunction")({}, FakeContext())

    # then Mirjam is offline and her chat went to Sven (who had a slot left)
    assert totals["agents_offline"] == 1
    assert totals["chats_requeued"] == 1
    assert totals["chats_assigned"] == 1
    moved = shop.chat(started["chat_id"])
    assert (moved["status"], moved["agent"]["agent_id"]) == ("assigned", "sven")
    after = shop.agents()
    assert (after["mirjam"]["set_status"], after["mirjam"]["active_chats"]) == ("offline", 0)
    assert sorted(after["sven"]["chat_ids"]) == sorted([started["chat_id"], fresh["chat_id"]])

    # and a second sweep finds nothing more to do
    assert template.handler("RouteSweepFunction")({}, FakeContext()) == {
        "sites": 1, "failed": 0, "agents_offline": 0, "chats_requeued": 0, "slots_freed": 0,
        "chats_assigned": 0,
    }  # fmt: skip


def test_a_heartbeat_keeps_an_agent_present(shop: Shop, agents: DynamoAgentStore) -> None:
    # given Mirjam's console silent past the window
    mirjam = agents.get(DEMO_SITE, "mirjam")
    assert mirjam is not None
    agents.put(mirjam.model_copy(update={"last_seen_at": datetime.now(UTC) - timedelta(minutes=10)}))
    assert shop.agents()["mirjam"]["status"] == "offline"

    # when it reports in
    beat = shop.call("POST", "/v1/agents/mirjam/heartbeat", headers=shop.agent("mirjam"))

    # then she is available again and takes chats
    assert beat.status == 200, beat
    assert (beat.json["status"], beat.json["free_slots"]) == ("available", 2)
    assert shop.started("na", category="dameslaarzen")["agent"]["agent_id"] == "mirjam"


# ====================================================================== 7. tenancy
def _mirjams_chat(shop: Shop) -> dict[str, Any]:
    started = shop.started("tenant", category="dameslaarzen", message="Van de demo-site")
    assert started["agent"]["agent_id"] == "mirjam"
    return started


def _snapshot(shop: Shop, chat_id: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The chat, Mirjam and the whole agent list as the demo site's operator reads them."""
    mirjam = shop.call("GET", "/v1/agents/mirjam", headers=shop.ops)
    assert mirjam.status == 200, mirjam
    return shop.chat(chat_id), mirjam.json, shop.agents()


SITE_SCOPED = [
    ("GET", "/v1/chats/{chat}", None),
    ("POST", "/v1/chats/{chat}/messages", {"text": "van een andere winkel"}),
    ("GET", "/v1/chats/{chat}/context", None),
    ("POST", "/v1/chats/{chat}/discounts", {"percent": 5}),
    ("POST", "/v1/chats/{chat}/end", {"resolved": False}),
    ("GET", "/v1/agents/mirjam", None),
    ("PUT", "/v1/agents/mirjam/status", {"status": "offline"}),
    ("POST", "/v1/agents/mirjam/heartbeat", None),
    ("PUT", "/v1/agents/mirjam", {**MIRJAM_PROFILE, "discount_mandate_percent": 100}),
]


@pytest.mark.parametrize("role", ["agent", "operator"])
@pytest.mark.parametrize("endpoint", SITE_SCOPED, ids=[f"{m} {p}" for m, p, _ in SITE_SCOPED])
def test_another_sites_agent_or_operator_reaches_nothing_here(
    shop: Shop, other_site: Site, role: str, endpoint: tuple[str, str, Any]
) -> None:
    method, path, body = endpoint
    # given Mirjam's chat on the demo site, and an agent (named mirjam too) or operator of "other"
    started = _mirjams_chat(shop)
    before = _snapshot(shop, started["chat_id"])
    foreign = shop.bearer("mirjam" if role == "agent" else "ops", role, OTHER_SITE)

    # when they call a demo resource by its id
    answer = shop.call(method, path.format(chat=started["chat_id"]), body=body, headers=foreign)

    if path == "/v1/agents/mirjam" and method == "PUT" and role == "operator":
        # an agent id names an agent of the caller's own site: "other"'s operator sets up their
        # own mirjam, which is theirs to do and touches nothing of the demo site
        assert answer.status == 201, answer
        others = shop.call("GET", "/v1/agents", headers=foreign).json["agents"]
        assert [(a["agent_id"], a["discount_mandate_percent"]) for a in others] == [("mirjam", 100)]
    else:
        # then the answer is 403 or 404
        assert answer.status in (403, 404), answer
        assert answer.error_code in ("forbidden", "not_found")

    # and nothing of the demo site changed
    assert _snapshot(shop, started["chat_id"]) == before
    assert [m["text"] for m in before[0]["messages"]] == ["Van de demo-site"]


@pytest.mark.parametrize("role", ["agent", "operator"])
def test_another_sites_agent_list_holds_only_their_agents(shop: Shop, other_site: Site, role: str) -> None:
    answer = shop.call("GET", "/v1/agents", headers=shop.bearer("mirjam", role, OTHER_SITE))
    assert (answer.status, answer.json) == (200, {"agents": []})


@pytest.mark.parametrize("role", ["agent", "operator"])
def test_another_sites_credentials_cannot_survey_a_chat_here(shop: Shop, other_site: Site, role: str) -> None:
    # given an ended demo chat with its survey token
    started = _mirjams_chat(shop)
    assert shop.end(started["chat_id"]).status == 200

    # when another site's agent/operator posts its survey, with their widget key or without
    bearer = shop.bearer("mirjam", role, OTHER_SITE)
    with_key = shop.survey(started, headers={**OTHER_WIDGET, **bearer}, csat=1, nps=0)
    without_key = shop.survey(started, headers=bearer, csat=1, nps=0)

    # then it is refused (the token is this site's; a survey is the widget's) and nothing stored
    assert (with_key.status, with_key.error_code) == (403, "forbidden")
    assert (without_key.status, without_key.error_code) == (401, "unauthorized")
    assert shop.survey(started, csat=5).status == 201


def test_another_sites_widget_key_with_this_sites_chat_token_is_refused(shop: Shop, other_site: Site) -> None:
    started = _mirjams_chat(shop)
    foreign = {**OTHER_WIDGET, "X-Chat-Token": started["chat_token"]}
    read = shop.read(started["chat_id"], foreign)
    assert (read.status, read.error_code) == (403, "forbidden")
    said = shop.say(started["chat_id"], "hallo", foreign)
    assert (said.status, said.error_code) == (403, "forbidden")
    survey = shop.survey(started, headers=OTHER_WIDGET, csat=1)
    assert (survey.status, survey.error_code) == (403, "forbidden")
    assert [m["text"] for m in shop.chat(started["chat_id"])["messages"]] == ["Van de demo-site"]


def test_a_chat_token_opens_its_own_chat_only(shop: Shop) -> None:
    a = shop.started("visitor-a", category="dameslaarzen", message="Ik ben A")
    b = shop.started("visitor-b", category="herenschoenen", message="Ik ben B")
    wrong = {**WIDGET, "X-Chat-Token": a["chat_token"]}
    assert shop.read(b["chat_id"], wrong).status == 403
    assert shop.say(b["chat_id"], "gluren", wrong).status == 403
    survey_token_as_chat = {**WIDGET, "X-Chat-Token": a["survey_token"]}
    assert shop.read(a["chat_id"], survey_token_as_chat).error_code == "invalid_token"
    assert shop.read(a["chat_id"], {**WIDGET, "X-Chat-Token": "garbage"}).status == 401
    assert shop.read(a["chat_id"], WIDGET).status == 401
    assert shop.survey({**b, "survey_token": a["survey_token"]}, csat=1).status == 403
    assert [m["text"] for m in shop.chat(b["chat_id"])["messages"]] == ["Ik ben B"]


def test_another_agent_of_the_site_cannot_touch_mirjams_chat(shop: Shop) -> None:
    started = _mirjams_chat(shop)
    chat_id = started["chat_id"]
    sven = shop.agent("sven")
    assert shop.read(chat_id, sven).status == 403
    assert shop.call("GET", f"/v1/chats/{chat_id}/context", headers=sven).status == 403
    assert shop.say(chat_id, "ik ook", sven).status == 403
    assert shop.discount(chat_id, 5, sven).status == 403
    assert shop.end(chat_id, headers=sven).status == 403
    chat = shop.chat(chat_id)
    assert (chat["status"], chat["discount_code"], len(chat["messages"])) == ("assigned", None, 1)


def test_an_operator_reads_and_ends_but_does_not_write_or_discount(shop: Shop) -> None:
    started = _mirjams_chat(shop)
    chat_id = started["chat_id"]
    assert shop.read(chat_id).status == 200
    assert shop.call("GET", f"/v1/chats/{chat_id}/context", headers=shop.ops).status == 200
    assert shop.say(chat_id, "operator hier", shop.ops).status == 403
    assert shop.discount(chat_id, 5, shop.ops).status == 403
    assert shop.end(chat_id).status == 200


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/v1/chats/{chat}", None),
        ("POST", "/v1/chats/{chat}/messages", {"text": "hallo"}),
        ("GET", "/v1/chats/{chat}/context", None),
        ("POST", "/v1/chats/{chat}/discounts", {"percent": 5}),
        ("POST", "/v1/chats/{chat}/end", {"resolved": True}),
        ("GET", "/v1/agents", None),
        ("GET", "/v1/agents/mirjam", None),
        ("PUT", "/v1/agents/mirjam", MIRJAM_PROFILE),
        ("PUT", "/v1/agents/mirjam/status", {"status": "offline"}),
        ("POST", "/v1/agents/mirjam/heartbeat", None),
        ("POST", "/v1/chats", {"visitor_id": "v", "session_id": "s", "message": "hallo"}),
        ("POST", "/v1/surveys", {"chat_id": "{chat}", "token": "v1.x.y", "csat": 5}),
    ],
)
def test_no_credentials_is_401(shop: Shop, method: str, path: str, body: Any) -> None:
    started = _mirjams_chat(shop)
    if isinstance(body, dict) and body.get("chat_id") == "{chat}":
        body = {**body, "chat_id": started["chat_id"]}
    answer = shop.call(method, path.format(chat=started["chat_id"]), body=body, headers=JSON)
    assert answer.status == 401, answer
    assert shop.chat(started["chat_id"])["status"] == "assigned"


# ====================================================================== 8. bad input
def test_message_size_limits(shop: Shop) -> None:
    started = _mirjams_chat(shop)
    chat_id = started["chat_id"]
    for headers in (shop.widget(started), shop.agent("mirjam")):
        assert shop.say(chat_id, "x" * 4000, headers).status == 201
        too_big = shop.say(chat_id, "x" * 4001, headers)
        assert (too_big.status, too_big.error_code) == (413, "payload_too_large")
    assert shop.start("groot", message="x" * 4001).status == 413
    assert shop.started("net", message="x" * 4000)["status"] in ("assigned", "queued")


@pytest.mark.parametrize("text", ["", "   \n\t"])
def test_an_empty_message_is_422(shop: Shop, text: str) -> None:
    started = _mirjams_chat(shop)
    answer = shop.say(started["chat_id"], text, shop.widget(started))
    assert (answer.status, answer.error_code) == (422, "validation_failed")
    assert shop.start("leeg", message=text).status == 422


@pytest.mark.parametrize(
    ("method", "path", "caller"),
    [
        ("POST", "/v1/chats", "widget"),
        ("POST", "/v1/chats/{chat}/messages", "widget"),
        ("POST", "/v1/chats/{chat}/messages", "mirjam"),
        ("POST", "/v1/chats/{chat}/discounts", "mirjam"),
        ("POST", "/v1/chats/{chat}/end", "mirjam"),
        ("PUT", "/v1/agents/mirjam", "ops"),
        ("PUT", "/v1/agents/mirjam/status", "mirjam"),
        ("POST", "/v1/surveys", "widget"),
    ],
)
def test_bad_json_is_400(shop: Shop, method: str, path: str, caller: str) -> None:
    started = _mirjams_chat(shop)
    headers = {"widget": shop.widget(started), "ops": shop.ops}.get(caller) or shop.agent(caller)
    answer = shop.call(method, path.format(chat=started["chat_id"]), body='{"text": "half', headers=headers)
    assert (answer.status, answer.error_code) == (400, "bad_json")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/v1/chats/{unknown}", None),
        ("POST", "/v1/chats/{unknown}/messages", {"text": "hallo"}),
        ("GET", "/v1/chats/{unknown}/context", None),
        ("POST", "/v1/chats/{unknown}/discounts", {"percent": 5}),
        ("POST", "/v1/chats/{unknown}/end", {"resolved": True}),
        ("GET", "/v1/agents/nobody", None),
        ("PUT", "/v1/agents/nobody/status", {"status": "away"}),
    ],
)
def test_unknown_ids_are_404(shop: Shop, method: str, path: str, body: Any) -> None:
    # agents give discounts and write; an operator may only read and end a chat
    headers = shop.agent("mirjam") if path.endswith(("discounts", "messages")) else shop.ops
    answer = shop.call(method, path.format(unknown="0" * 32), body=body, headers=headers)
    assert (answer.status, answer.error_code) == (404, "not_found")


def test_a_survey_of_an_unknown_chat_is_404(shop: Shop) -> None:
    # given a valid survey token of a chat that does not exist (or was erased)
    unknown = "0" * 32
    token = dependencies.token_signer().issue("survey", DEMO_SITE, unknown, seconds=SURVEY_TOKEN_SECONDS)
    answer = shop.survey({"chat_id": unknown, "survey_token": token}, csat=4)
    assert (answer.status, answer.error_code) == (404, "not_found")
    # and another chat's token does not open it
    started = _mirjams_chat(shop)
    assert shop.survey({**started, "chat_id": unknown}, csat=4).status == 403


@pytest.mark.parametrize("percent", [0, -5, 101, "x", None, "10%"])
def test_discount_percent_out_of_range_is_422(shop: Shop, percent: Any) -> None:
    started = _mirjams_chat(shop)
    answer = shop.discount(started["chat_id"], percent, shop.agent("mirjam"))
    assert (answer.status, answer.error_code) == (422, "validation_failed")
    assert shop.chat(started["chat_id"])["discount_code"] is None


@pytest.mark.parametrize("status", ["busy", "", "AVAILABLE", None, 1])
def test_unknown_agent_status_is_422(shop: Shop, status: Any) -> None:
    answer = shop.set_status("mirjam", status, shop.agent("mirjam"))
    assert (answer.status, answer.error_code) == (422, "validation_failed")
    assert shop.agents()["mirjam"]["set_status"] == "available"


@pytest.mark.parametrize(
    "change",
    [
        {"max_chats": 0},
        {"max_chats": 21},
        {"discount_mandate_percent": 101},
        {"display_name": ""},
        {"nickname": "mimi"},
        {"status": "available"},
        {"active_chats": 0},
        {"categories": "dameslaarzen"},
    ],
)
def test_invalid_agent_profiles_are_422(shop: Shop, change: dict[str, Any]) -> None:
    answer = shop.put_agent("mirjam", {**MIRJAM_PROFILE, **change})
    assert (answer.status, answer.error_code) == (422, "validation_failed")
    assert shop.agents()["mirjam"]["discount_mandate_percent"] == 15


def test_a_transcript_over_100_entries_is_422(shop: Shop) -> None:
    transcript = [{"author": "bot", "text": f"regel {n}"} for n in range(101)]
    answer = shop.start("lang", transcript=transcript)
    assert (answer.status, answer.error_code) == (422, "validation_failed")
    full = shop.started("precies", transcript=transcript[:100])
    assert len(shop.read(full["chat_id"], shop.widget(full)).json["messages"]) == 101


@pytest.mark.parametrize(
    "entry",
    [
        {"author": "agent", "text": "ik ben geen bot"},
        {"author": "bot", "text": ""},
        {"author": "bot", "text": "x" * 4001},
        {"author": "bot", "text": "hoi", "extra": 1},
        {"author": "bot", "text": "hoi", "at": "gisteren"},
    ],
)
def test_bad_transcript_entries_are_refused(shop: Shop, entry: dict[str, Any]) -> None:
    answer = shop.start("bot", transcript=[entry])
    assert answer.status in (413, 422), answer


@pytest.mark.parametrize(
    "since", ["garbage", "2026-13-45T00:00:00Z", "2026-11-22T19:00:00", "x" * 41, "12-ab"]
)
def test_a_bad_since_cursor_is_422(shop: Shop, since: str) -> None:
    started = _mirjams_chat(shop)
    answer = shop.read(started["chat_id"], shop.widget(started), since=since)
    assert (answer.status, answer.error_code) == (422, "validation_failed")


def test_an_iso_since_returns_later_messages(shop: Shop) -> None:
    started = _mirjams_chat(shop)
    before = shop.read(started["chat_id"], shop.widget(started), since="2000-01-01T00:00:00Z").json
    assert [m["text"] for m in before["messages"]] == ["Van de demo-site"]
    later = shop.read(started["chat_id"], shop.widget(started), since="2999-01-01T00:00:00%2B00:00").json
    assert later["messages"] == []


def test_an_ended_chat_takes_no_messages_and_ends_once(shop: Shop) -> None:
    started = _mirjams_chat(shop)
    chat_id = started["chat_id"]
    assert shop.end(chat_id, False, shop.agent("mirjam")).status == 200
    for headers in (shop.widget(started), shop.agent("mirjam")):
        late = shop.say(chat_id, "nog iets", headers)
        assert (late.status, late.error_code) == (409, "conflict")
    again = shop.end(chat_id)
    assert (again.status, again.error_code) == (409, "conflict")
    assert shop.discount(chat_id, 5, shop.agent("mirjam")).status == 409
    # the ended chat stays readable for the visitor
    assert shop.read(chat_id, shop.widget(started)).json["status"] == "ended"


def test_one_open_chat_per_session(shop: Shop) -> None:
    first = shop.started("dubbel", category="dameslaarzen")
    second = shop.start("dubbel", category="herenschoenen")
    assert (second.status, second.error_code) == (409, "conflict")
    assert shop.start("dubbel", "s-2").status == 201  # another session of the same visitor may
    assert shop.end(first["chat_id"]).status == 200
    assert shop.start("dubbel").status == 201  # and the same session once the first has ended


@pytest.mark.parametrize(
    "body",
    [
        {"session_id": "s-1", "message": "hallo"},
        {"visitor_id": "v", "message": "hallo"},
        {"visitor_id": "v", "session_id": "s-1"},
        {"visitor_id": "v#1", "session_id": "s-1", "message": "hallo"},
        {"visitor_id": "v", "session_id": "s-1", "message": "hallo", "skills": ["x"] * 11},
        {"visitor_id": "v", "session_id": "s-1", "message": "hallo", "category": "x" * 61},
        {"visitor_id": "v", "session_id": "s-1", "message": "hallo", "transcript": "nee"},
        [1, 2],
    ],
)
def test_invalid_chat_starts_are_422(shop: Shop, body: Any) -> None:
    answer = shop.call("POST", "/v1/chats", body=body, headers=WIDGET)
    assert (answer.status, answer.error_code) == (422, "validation_failed")


def test_an_unknown_or_foreign_offer_is_404(shop: Shop) -> None:
    assert shop.start("geen-aanbod", offer_id="0" * 32).status == 404
    anna = visitor_outside_holdout("anna")
    shop.api.post_events(batch(*anna_journey(), visitor_id=anna))
    offer_id = shop.call(
        "POST", "/v1/engagement/decide", body={"visitor_id": anna, "session_id": "s-1", "idle_seconds": 30},
        headers=WIDGET,
    ).json["offer_id"]  # fmt: skip
    assert shop.start("iemand-anders", offer_id=offer_id).status == 404
    assert shop.start(anna, offer_id=offer_id).status == 201


@pytest.mark.parametrize(
    "answers",
    [
        {},
        {"csat": 0},
        {"csat": 6},
        {"nps": 11},
        {"ces": 8},
        {"csat": "5"},
        {"csat": True},
        {"preferred_channel": "fax"},
        {"comment": "x" * 2001},
    ],
)
def test_invalid_surveys_are_422(shop: Shop, answers: dict[str, Any]) -> None:
    started = _mirjams_chat(shop)
    assert shop.end(started["chat_id"]).status == 200
    answer = shop.survey(started, **answers)
    assert (answer.status, answer.error_code) == (422, "validation_failed")
    assert shop.survey(started, csat=4).status == 201  # nothing was stored


def test_a_survey_is_accepted_only_once_its_chat_has_ended(shop: Shop) -> None:
    # given mirjam's chat, still open
    started = _mirjams_chat(shop)
    # when the visitor surveys it before the end, then it is refused and nothing is stored
    early = shop.survey(started, csat=1, comment="te vroeg")
    assert (early.status, early.error_code) == (409, "conflict")
    # and once the chat has ended, the survey is accepted (once)
    assert shop.end(started["chat_id"]).status == 200
    assert shop.survey(started, csat=5).status == 201
    assert shop.survey(started, csat=5).status == 409


def test_a_forged_survey_token_is_401(shop: Shop) -> None:
    started = _mirjams_chat(shop)
    answer = shop.survey({**started, "survey_token": started["survey_token"][:-2] + "xx"}, csat=5)
    assert answer.status == 401, answer


# ====================================================================== 9. agent profiles
def test_an_operator_creates_and_updates_agents(shop: Shop) -> None:
    # when the operator adds Lotte
    lotte = {"display_name": "Lotte", "categories": ["sneakers"], "skills": ["engels"], "max_chats": 3,
             "discount_mandate_percent": 5}  # fmt: skip
    created = shop.put_agent("lotte", lotte)

    # then she exists, offline until she reports in
    assert created.status == 201, created
    assert (created.json["agent_id"], created.json["status"], created.json["max_chats"]) == (
        "lotte",
        "offline",
        3,
    )
    assert created.json["skills"] == ["engels"]
    assert created.json["languages"] == ["nl"]
    assert shop.put_agent("lotte", lotte).status == 200  # the same again is an update

    # given Mirjam in a chat
    started = shop.started("profiel", category="dameslaarzen")

    # when the operator changes her profile
    updated = shop.put_agent("mirjam", {**MIRJAM_PROFILE, "max_chats": 4, "discount_mandate_percent": 20})

    # then her status and chats are kept, the new profile applies
    assert updated.status == 200, updated
    assert (updated.json["status"], updated.json["active_chats"], updated.json["chat_ids"]) == (
        "available", 1, [started["chat_id"]],
    )  # fmt: skip
    assert (updated.json["max_chats"], updated.json["free_slots"]) == (4, 3)
    assert shop.discount(started["chat_id"], 20, shop.agent("mirjam")).status == 201
    assert shop.agents().keys() == {"lotte", "mirjam", "sven"}

    # and an agent reads herself, not a colleague
    assert shop.call("GET", "/v1/agents/mirjam", headers=shop.agent("mirjam")).status == 200
    assert shop.call("GET", "/v1/agents/sven", headers=shop.agent("mirjam")).status == 403
    assert shop.call("GET", "/v1/agents", headers=shop.agent("mirjam")).status == 200


def test_a_new_agent_takes_chats_once_available(shop: Shop) -> None:
    lotte = {"display_name": "Lotte", "categories": ["tassen"], "max_chats": 1}
    assert shop.put_agent("lotte", lotte).status == 201
    assert shop.set_status("mirjam", "away").status == 200
    assert shop.set_status("sven", "away").status == 200
    queued = shop.started("tas", category="tassen")
    assert queued["status"] == "queued"
    came = shop.set_status("lotte", "available", shop.agent("lotte"))
    assert came.status == 200, came
    assert shop.chat(queued["chat_id"])["agent"]["agent_id"] == "lotte"


def test_agents_act_on_themselves_only(shop: Shop) -> None:
    mirjam = shop.agent("mirjam")
    profile = shop.put_agent("mirjam", {**MIRJAM_PROFILE, "discount_mandate_percent": 100}, mirjam)
    assert (profile.status, profile.error_code) == (403, "forbidden")
    other_status = shop.set_status("sven", "offline", mirjam)
    assert (other_status.status, other_status.error_code) == (403, "forbidden")
    other_beat = shop.call("POST", "/v1/agents/sven/heartbeat", headers=mirjam)
    assert (other_beat.status, other_beat.error_code) == (403, "forbidden")
    own = shop.call("POST", "/v1/agents/mirjam/heartbeat", headers=mirjam)
    assert (own.status, own.json["agent_id"], own.json["status"]) == (200, "mirjam", "available")
    own_status = shop.set_status("mirjam", "away", mirjam)
    assert (own_status.status, own_status.json["status"]) == (200, "away")
    listed = shop.agents()
    assert (listed["sven"]["status"], listed["mirjam"]["discount_mandate_percent"]) == ("available", 15)


def test_an_operator_sets_any_agents_status(shop: Shop) -> None:
    answer = shop.set_status("sven", "away")
    assert (answer.status, answer.json["status"]) == (200, "away")
    assert shop.started("weg", category="sneakers")["status"] == "queued"
    assert shop.call("POST", "/v1/agents/sven/heartbeat", headers=shop.ops).status == 403
