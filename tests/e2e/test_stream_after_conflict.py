"""An ordinary 409 (a second survey for a chat: its transaction is cancelled) leaves the table's
stream where its reader is, so what is tracked afterwards still reaches the daily report."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from klantreis.journey.dynamo_store import DynamoSessionStore
from klantreis_local.runtime import StreamPump
from tests.e2e.conftest import WIDGET, Api
from tests.factories import batch, event


def sessions_on(api: Api, day: str, operator: dict[str, str]) -> int:
    report = api.request("GET", f"/v1/reports/daily?from={day}&to={day}", headers=operator)
    assert report.status == 200, report
    [row] = report.json["rows"]
    sessions: int = row["sessions"]
    return sessions


def test_the_report_keeps_counting_after_a_second_survey_is_refused(
    api: Api, stream: StreamPump, sessions: DynamoSessionStore
) -> None:
    operator = {"Authorization": f"Bearer {api.token()}", "Content-Type": "application/json"}
    # given a visitor's session, counted through the stream
    now = datetime.now(UTC)
    assert api.post_events(batch(event(at=now), visitor_id="v-1", session_id="s-1")).status == 200
    state = sessions.get("demo", "v-1", "s-1")
    assert state is not None
    [day] = state.days
    stream.drain()
    assert sessions_on(api, day, operator) == 1

    # and an ended chat, surveyed once
    chat = {"visitor_id": "v-1", "session_id": "s-1", "message": "Hallo"}
    started = api.request("POST", "/v1/chats", body=chat, headers=WIDGET)
    assert started.status == 201, started
    chat_id = started.json["chat_id"]
    ended = api.request("POST", f"/v1/chats/{chat_id}/end", body={"resolved": True}, headers=operator)
    assert ended.status == 200, ended
    survey: dict[str, Any] = {"chat_id": chat_id, "token": started.json["survey_token"], "csat": 5}
    assert api.request("POST", "/v1/surveys", body=survey, headers=WIDGET).status == 201

    # when a second survey for the chat is refused, and more visitors are tracked
    second = api.request("POST", "/v1/surveys", body={**survey, "csat": 1}, headers=WIDGET)
    assert (second.status, second.error_code) == (409, "conflict")
    for visitor in ("v-2", "v-3"):
        assert api.post_events(batch(event(at=now), visitor_id=visitor, session_id="s-1")).status == 200
    stream.drain()

    # then the report counts them, through the same stream reader
    assert sessions_on(api, day, operator) == 3
    assert stream.drain() == 0
