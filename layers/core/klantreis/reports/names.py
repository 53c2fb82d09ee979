"""The names of the daily counters that reports read, beyond the session and funnel counters of
`klantreis.projections.day_counters` (one place, so the stream consumer that adds them and the report that
reads them cannot drift apart).

All live on the day's counter items (SITE#{site}#DAY#{yyyy-mm-dd} / COUNTER#{slot}), the day being
the site's local day stored in the item that caused them (a chat's creation day, a survey's day,
a decision's day).
"""

from __future__ import annotations

from klantreis.routing.performance import SURVEY_ANSWER_COUNTERS

BLOCKING_REASONS = ("no_consent", "bot", "not_qualified", "outside_hours", "no_agent", "capped")
"""Why a decision offered nothing (`blocked_{reason}` counters)."""

SERVICE_LEVEL_SECONDS = 30
"""The service level is the share of chats answered within this many seconds (an edge of the
wait histogram, so it is exact)."""
WAIT_BUCKET_EDGES: tuple[float, ...] = (1, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600, 1800)
"""Upper edges (seconds, inclusive) of the wait histogram; one more bucket holds longer waits.
30 s is an edge: the service level (answered within 30 s) is exact; the 1 s edge keeps chats
answered at once from reading as a median wait of seconds."""

CHAT_COUNTERS = (
    "chats_assigned",  # chats that got an agent (first assignment), on the chat's day
    "wait_seconds_sum",
    "chats_ended",
    "chats_handled",  # ended with an agent (not while waiting in the queue)
    "chats_resolved",
    "chats_resolved_followed_up",  # resolved, but the visitor came back about it within 7 days
    "handle_seconds_sum",
    "chat_revenue",  # the value of purchases attributed to chats, on the chat's day
)
SURVEY_COUNTERS = ("surveys", *SURVEY_ANSWER_COUNTERS, "preferred_channel_answers")
UPLIFT_COUNTERS = (
    "offered_converted_sessions",  # offered sessions that later bought, on the offer's day
    "holdout_converted_sessions",  # holdout ("would have offered") sessions that later bought
)
BREAKDOWN_METRICS = (
    "chats",
    "conversions",
    "csat_n",
    "csat_good",
    "nps_n",
    "nps_promoters",
    "nps_detractors",
    # Added 2026-12-04 (issue 11): effort, first-contact resolution, time to answer and revenue
    # per agent, per category and per agent x category.
    "ces_n",
    "ces_sum",
    "waits",  # first assignments: the sample of the wait figures
    "wait_seconds_sum",
    "answered_in_time",  # first assignments within the service level's 30 s
    "handled",  # ended with an agent: the sample of first-contact resolution
    "handled_resolved",
    "handled_resolved_followed_up",
    "revenue",  # the value of purchases attributed to the chats
)
"""Counted per agent (`agent#{agent_id}#{metric}`), per category (`category#{category}#{metric}`)
and per agent and category (`agent_category#{agent_id}#{category}#{metric}`; agent ids hold no
`#`, a category may)."""
HOURLY_METRICS = ("sessions", "chats", "ended", "handle_seconds")
"""`ended` counts chats that ended with an agent (the divisor of `handle_seconds`)."""
"""Counted per local hour of the day (`h{HH}#{metric}`, HH 00-23): staffing's arrivals and handle
time, and when shoppers are online."""


def wait_bucket(index: int) -> str:
    return f"wait_b{index:02d}"


def wait_bucket_of(seconds: float) -> str:
    for index, edge in enumerate(WAIT_BUCKET_EDGES):
        if seconds <= edge:
            return wait_bucket(index)
    return wait_bucket(len(WAIT_BUCKET_EDGES))


WAIT_BUCKETS = tuple(wait_bucket(i) for i in range(len(WAIT_BUCKET_EDGES) + 1))


def agent_counter(agent_id: str, metric: str) -> str:
    return f"agent#{agent_id}#{metric}"


def category_counter(category: str, metric: str) -> str:
    return f"category#{category}#{metric}"


def agent_category_counter(agent_id: str, category: str, metric: str) -> str:
    return f"agent_category#{agent_id}#{category}#{metric}"


def channel_counter(channel: str) -> str:
    """Surveys naming `channel` as the shopper's preferred one."""
    return f"channel#{channel}"


def category_channel_counter(category: str, channel: str) -> str:
    """Surveys of chats in `category` naming `channel` (channels hold no `#`, a category may)."""
    return f"category_channel#{category}#{channel}"


def hourly_counter(hour: int, metric: str) -> str:
    return f"h{hour:02d}#{metric}"
