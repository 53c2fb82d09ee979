"""The daily report row (contract, "Daily report row") from one day's counters, the whole period
as one row, and the CSV export of rows.

Pure: the caller reads the counters (a missing counter is 0) and hands them in per local day of
the site. Every derived figure is None when it has no data behind it, so "no surveys" is never
read as a score of zero.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict

from klantreis.reports import names, stats
from klantreis.reports.names import BLOCKING_REASONS

SERVICE_LEVEL_SECONDS = names.SERVICE_LEVEL_SECONDS
AGENT_PREFIX = "agent#"
CATEGORY_PREFIX = "category#"
AGENT_CATEGORY_PREFIX = "agent_category#"
CHANNEL_PREFIX = "channel#"
CATEGORY_CHANNEL_PREFIX = "category_channel#"
DIGITS = 6
"""Derived ratios are rounded to this many decimals: no float noise in JSON and CSV."""


class Breakdown(BaseModel):
    """One agent's or one category's chats, conversions and survey scores."""

    model_config = ConfigDict(frozen=True)

    chats: int = 0
    conversions: int = 0
    csat: float | None = None
    """% of CSAT answers 4-5; None without answers."""
    nps: float | None = None
    """% of NPS answers 9-10 minus % 0-6; None without answers."""
    csat_answers: int = 0
    nps_answers: int = 0
    # Added 2026-12-04 (issue 11): each figure with its sample count.
    ces: float | None = None
    """Mean effort answer, 1..7 (lower is easier); None without answers."""
    ces_answers: int = 0
    first_contact_resolution: float | None = None
    """(Resolved - resolved but followed up within 7 days) / `handled` (0..1)."""
    handled: int = 0
    """Chats ended with an agent: the sample of first-contact resolution."""
    mean_wait_seconds: float | None = None
    """Mean time from the chat's start to its first agent (time to answer)."""
    service_level: float | None = None
    """Share of `waits` answered within 30 s (0..1)."""
    waits: int = 0
    """Chats first answered here: the sample of the wait figures."""
    revenue: float = 0.0
    """The value of purchases attributed to these chats, in the report's `currency`."""


class Uplift(BaseModel):
    """What proactive chat adds: the conversion of offered sessions minus that of the holdout
    (sessions that qualified for an offer but were held out), with Newcombe's 95% interval."""

    model_config = ConfigDict(frozen=True)

    estimate: float | None = None
    """None while either group is empty."""
    low: float | None = None
    high: float | None = None
    offered_sessions: int = 0
    offered_conversions: int = 0
    holdout_sessions: int = 0
    holdout_conversions: int = 0
    significant: bool = False
    """The 95% interval excludes zero."""
    sessions_still_needed_per_group: int | None = None
    """More sessions per group a test at 5% with 80% power would need to detect the observed
    difference; 0 when there are enough, None while it cannot be told (an empty group or no
    difference observed)."""


class DailyRow(BaseModel):
    """One report row: one local day of the site, or a whole period (`date` "start..end")."""

    model_config = ConfigDict(frozen=True)

    date: str
    sessions: int = 0
    cart_sessions: int = 0
    checkout_sessions: int = 0
    purchase_sessions: int = 0
    purchases: int = 0
    revenue: float = 0.0
    conversion_rate: float | None = None
    """Sessions with a purchase / sessions."""
    cart_abandonment_rate: float | None = None
    """Cart sessions without a purchase / cart sessions."""
    offers: int = 0
    offered_sessions: int = 0
    offers_accepted: int = 0
    chats: int = 0
    """Chats started."""
    chats_assigned: int = 0
    chat_conversions: int = 0
    holdout_sessions: int = 0
    holdout_conversion_rate: float | None = None
    offered_conversion_rate: float | None = None
    uplift: float | None = None
    """Offered minus holdout conversion rate (a plain number; its interval is `uplift_interval`)."""
    uplift_interval: Uplift = Uplift()
    surveys: int = 0
    csat: float | None = None
    nps: float | None = None
    ces: float | None = None
    first_contact_resolution: float | None = None
    """(Resolved - resolved but followed up within 7 days) / ended chats."""
    median_wait_seconds: float | None = None
    p90_wait_seconds: float | None = None
    mean_wait_seconds: float | None = None
    service_level: float | None = None
    """Share of assigned chats answered within 30 s."""
    mean_handle_seconds: float | None = None
    agents: dict[str, Breakdown] = {}
    categories: dict[str, Breakdown] = {}
    # The offer funnel of its own steps (added 2026-12-04): decisions -> qualified (a rule
    # matched) -> offers -> answered; `chats` above also holds chats visitors started unprompted.
    decisions: int = 0
    qualified: int = 0
    offers_rejected: int = 0
    offers_ignored: int = 0
    offer_acceptance_rate: float | None = None
    """Accepted of the offers made (0..1)."""
    blocked_no_consent: int = 0
    blocked_bot: int = 0
    blocked_not_qualified: int = 0
    blocked_outside_hours: int = 0
    blocked_no_agent: int = 0
    blocked_capped: int = 0
    # Added 2026-12-04 (issue 11).
    chat_revenue: float = 0.0
    """The value of purchases attributed to chats started this day, in the report's `currency`."""
    chat_conversion_rate: float | None = None
    """Chats followed by an attributed purchase / chats started."""
    agent_categories: dict[str, dict[str, Breakdown]] = {}
    """Per agent, then per category the agent served: the agent x category cells."""
    preferred_channel_answers: int = 0
    """Surveys that named a preferred channel."""
    preferred_channels: dict[str, int] = {}
    """Surveys per preferred channel named (chat, phone, email, whatsapp, social, self_service)."""
    preferred_channels_by_category: dict[str, dict[str, int]] = {}
    """The same per category of the surveyed chat (`*` for chats without one)."""
    # Offers by expected gain (added 2026-12-04, klantreis.engagement.uplift).
    offer_policy: Literal["rules", "gain", "mixed"] | None = None
    """Who chose the offers: `rules` (rules and scores), `gain` (the site's uplift model), `mixed`
    (both, e.g. the day a site switched); None without offers."""
    gain_ranked_offers: int = 0
    gain_mean_estimated_uplift: float | None = None
    """The mean estimated uplift behind the gain policy's offers (each offer's own is in the
    decision log); compare it with the measured `uplift`."""
    gain_offered_sessions: int = 0
    """Sessions whose first offer the gain policy made."""
    gain_holdout_sessions: int = 0
    """Holdout sessions whose first "would have offered" the gain policy would have offered to
    (`policy_offer` true)."""
    gain_uplift: float | None = None
    """Like with like under the gain policy: the conversion of `gain_offered_sessions` minus that
    of `gain_holdout_sessions` (its interval is `gain_uplift_interval`). The day's `uplift` compares
    the offers with the whole holdout, most of which the gain policy would not have offered to."""
    gain_uplift_interval: Uplift = Uplift()


def _ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, DIGITS) if denominator > 0 else None


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, DIGITS)


def _grouped(counters: Mapping[str, float], prefix: str) -> dict[str, dict[str, float]]:
    """`{prefix}{key}#{metric}` counters grouped by key; the metric is the last `#` part, so a
    category name holding a `#` stays whole."""
    grouped: dict[str, dict[str, float]] = {}
    for name, value in counters.items():
        if not name.startswith(prefix):
            continue
        key, _, metric = name[len(prefix) :].rpartition("#")
        if key:
            grouped.setdefault(key, {})[metric] = float(value)
    return grouped


def _breakdowns(counters: Mapping[str, float], prefix: str) -> dict[str, Breakdown]:
    grouped = _grouped(counters, prefix)
    return {key: _breakdown(grouped[key]) for key in sorted(grouped)}


def _agent_categories(counters: Mapping[str, float]) -> dict[str, dict[str, Breakdown]]:
    """`agent_category#{agent}#{category}#{metric}`: agent ids hold no `#`, so the agent is the
    first part and the category all between it and the metric."""
    cells: dict[str, dict[str, dict[str, float]]] = {}
    for cell, metrics in _grouped(counters, AGENT_CATEGORY_PREFIX).items():
        agent, _, category = cell.partition("#")
        if agent and category:
            cells.setdefault(agent, {})[category] = metrics
    return {
        agent: {category: _breakdown(cells[agent][category]) for category in sorted(cells[agent])}
        for agent in sorted(cells)
    }


def _channels(counters: Mapping[str, float]) -> dict[str, int]:
    found = {
        name[len(CHANNEL_PREFIX) :]: round(value)
        for name, value in counters.items()
        if name.startswith(CHANNEL_PREFIX) and value
    }
    return {channel: found[channel] for channel in sorted(found)}


def _channels_by_category(counters: Mapping[str, float]) -> dict[str, dict[str, int]]:
    grouped = _grouped(counters, CATEGORY_CHANNEL_PREFIX)
    return {
        category: {channel: round(count) for channel, count in sorted(grouped[category].items()) if count}
        for category in sorted(grouped)
    }


def _breakdown(metrics: Mapping[str, float]) -> Breakdown:
    def get(metric: str) -> float:
        return metrics.get(metric, 0.0)

    handled = get("handled")
    return Breakdown(
        chats=round(get("chats")),
        conversions=round(get("conversions")),
        csat=_rounded(stats.csat_share(get("csat_good"), get("csat_n"))),
        nps=_rounded(stats.nps(get("nps_promoters"), get("nps_detractors"), get("nps_n"))),
        csat_answers=round(get("csat_n")),
        nps_answers=round(get("nps_n")),
        ces=_rounded(stats.ces_mean(get("ces_sum"), get("ces_n"))),
        ces_answers=round(get("ces_n")),
        first_contact_resolution=_ratio(
            get("handled_resolved") - get("handled_resolved_followed_up"), handled
        ),
        handled=round(handled),
        mean_wait_seconds=_ratio(get("wait_seconds_sum"), get("waits")),
        service_level=_ratio(get("answered_in_time"), get("waits")),
        waits=round(get("waits")),
        revenue=round(get("revenue"), 2),
    )


def uplift(
    offered_sessions: float, offered_conversions: float, holdout_sessions: float, holdout_conversions: float
) -> Uplift:
    counts = {
        "offered_sessions": round(offered_sessions),
        "offered_conversions": round(offered_conversions),
        "holdout_sessions": round(holdout_sessions),
        "holdout_conversions": round(holdout_conversions),
    }
    if offered_sessions <= 0 or holdout_sessions <= 0:
        return Uplift(**counts)
    estimate, low, high = stats.newcombe_difference(
        offered_conversions, offered_sessions, holdout_conversions, holdout_sessions
    )
    p1 = offered_conversions / offered_sessions
    p2 = holdout_conversions / holdout_sessions
    return Uplift(
        estimate=round(estimate, DIGITS),
        low=round(low, DIGITS),
        high=round(high, DIGITS),
        significant=low > 0 or high < 0,
        sessions_still_needed_per_group=stats.remaining_sessions_needed(
            p1, p2, offered_sessions, holdout_sessions
        ),
        **counts,
    )


def daily_row(day: str, counters: Mapping[str, float]) -> DailyRow:
    """The report row of one day (or of summed counters: see `period_total`)."""

    def get(name: str) -> float:
        raw = counters.get(name)
        return 0.0 if raw is None else float(raw)

    waits = [get(bucket) for bucket in names.WAIT_BUCKETS]
    edges = names.WAIT_BUCKET_EDGES
    offered = get("offered_sessions")
    holdout = get("holdout_sessions")
    cart = get("cart_sessions")
    handled = get("chats_handled")
    detail = uplift(offered, get("offered_converted_sessions"), holdout, get("holdout_converted_sessions"))
    like = uplift(
        get("gain_offered_sessions"),
        get("gain_offered_converted_sessions"),
        get("gain_holdout_sessions"),
        get("gain_holdout_converted_sessions"),
    )
    return DailyRow(
        date=day,
        sessions=round(get("sessions")),
        cart_sessions=round(cart),
        checkout_sessions=round(get("checkout_sessions")),
        purchase_sessions=round(get("purchase_sessions")),
        purchases=round(get("purchases")),
        revenue=round(get("revenue"), 2),
        conversion_rate=_ratio(get("purchase_sessions"), get("sessions")),
        cart_abandonment_rate=_ratio(max(0.0, cart - get("converted_cart_sessions")), cart),
        offers=round(get("offers")),
        offered_sessions=round(offered),
        offers_accepted=round(get("offers_accepted")),
        chats=round(get("chats_started")),
        chats_assigned=round(get("chats_assigned")),
        chat_conversions=round(get("chats_converted")),
        holdout_sessions=round(holdout),
        holdout_conversion_rate=_ratio(get("holdout_converted_sessions"), holdout),
        offered_conversion_rate=_ratio(get("offered_converted_sessions"), offered),
        uplift=detail.estimate,
        uplift_interval=detail,
        surveys=round(get("surveys")),
        csat=_rounded(stats.csat_share(get("csat_good"), get("csat_n"))),
        nps=_rounded(stats.nps(get("nps_promoters"), get("nps_detractors"), get("nps_n"))),
        ces=_rounded(stats.ces_mean(get("ces_sum"), get("ces_n"))),
        # Over chats an agent handled: a chat abandoned in the queue was never a contact.
        first_contact_resolution=_ratio(get("chats_resolved") - get("chats_resolved_followed_up"), handled),
        median_wait_seconds=_rounded(stats.histogram_quantile(waits, edges, 0.5)),
        p90_wait_seconds=_rounded(stats.histogram_quantile(waits, edges, 0.9)),
        mean_wait_seconds=_ratio(get("wait_seconds_sum"), get("chats_assigned")),
        service_level=_rounded(stats.share_within(waits, edges, SERVICE_LEVEL_SECONDS)),
        mean_handle_seconds=_ratio(get("handle_seconds_sum"), handled),
        agents=_breakdowns(counters, AGENT_PREFIX),
        categories=_breakdowns(counters, CATEGORY_PREFIX),
        decisions=round(get("decisions")),
        qualified=round(get("qualified")),
        offers_rejected=round(get("offers_rejected")),
        offers_ignored=round(get("offers_ignored")),
        offer_acceptance_rate=_ratio(get("offers_accepted"), get("offers")),
        **{f"blocked_{reason}": round(get(f"blocked_{reason}")) for reason in BLOCKING_REASONS},
        chat_revenue=round(get("chat_revenue"), 2),
        chat_conversion_rate=_ratio(get("chats_converted"), get("chats_started")),
        agent_categories=_agent_categories(counters),
        preferred_channel_answers=round(get("preferred_channel_answers")),
        preferred_channels=_channels(counters),
        preferred_channels_by_category=_channels_by_category(counters),
        offer_policy=_offer_policy(get("offers"), get("gain_offers")),
        gain_ranked_offers=round(get("gain_offers")),
        gain_mean_estimated_uplift=_ratio(get("gain_estimated_uplift"), get("gain_offers")),
        gain_offered_sessions=like.offered_sessions,
        gain_holdout_sessions=like.holdout_sessions,
        gain_uplift=like.estimate,
        gain_uplift_interval=like,
    )


def _offer_policy(offers: float, gain_offers: float) -> Literal["rules", "gain", "mixed"] | None:
    if offers <= 0:
        return None
    if gain_offers <= 0:
        return "rules"
    return "gain" if gain_offers >= offers else "mixed"


def days_between(start: str, end: str) -> list[str]:
    """The ISO days from `start` to `end`, both included (empty when end is before start)."""
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    return [(first + timedelta(days=offset)).isoformat() for offset in range((last - first).days + 1)]


def daily_rows(start: str, end: str, counters_by_day: Mapping[str, Mapping[str, float]]) -> list[DailyRow]:
    """One row per day from `start` to `end`; a day without counters is an empty row."""
    return [daily_row(day, counters_by_day.get(day, {})) for day in days_between(start, end)]


def sum_counters(days: Iterable[Mapping[str, float]]) -> dict[str, float]:
    total: dict[str, float] = {}
    for counters in days:
        for name, value in counters.items():
            total[name] = total.get(name, 0.0) + float(value)
    return total


def period_total(start: str, end: str, counters_by_day: Mapping[str, Mapping[str, float]]) -> DailyRow:
    """The period from `start` to `end` (both included) as one row: each day's counters summed,
    every figure derived from the sums (a rate of the period, not a mean of daily rates);
    `date` is "start..end". Sessions are summed per day: a session spanning midnight counts on
    both days, as it does in the daily rows."""
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    inside = (
        counters for day, counters in counters_by_day.items() if first <= date.fromisoformat(day) <= last
    )
    return daily_row(f"{start}..{end}", sum_counters(inside))


_UPLIFT_COLUMNS = (
    "uplift_low",
    "uplift_high",
    "uplift_significant",
    "uplift_sessions_still_needed_per_group",
    "offered_conversions",
    "holdout_conversions",
)
_INTERVALS = {"uplift": ("", "uplift_interval"), "gain_uplift": ("gain_", "gain_uplift_interval")}
"""Each uplift's interval, flattened into _UPLIFT_COLUMNS (with the prefix) right after it."""
_NESTED = (
    "uplift_interval",
    "gain_uplift_interval",
    "agents",
    "categories",
    "agent_categories",
    "preferred_channels",
    "preferred_channels_by_category",
)
BREAKDOWN_FIELDS = tuple(Breakdown.model_fields)


def csv_columns(rows: Sequence[DailyRow], *, currency: str | None = None) -> list[str]:
    """Every scalar field in the model's order (the uplift interval right after `uplift`, the
    `currency` of the money figures, if given, right after `chat_revenue`), then
    `agent:{id}:{metric}` for every agent in any row, then `category:{name}:{metric}`, then
    `agent_category:{id}:{name}:{metric}`, all sorted by id/name, the metrics in Breakdown's
    order; then `preferred_channel:{channel}` and `category:{name}:preferred_channel:{channel}`."""
    columns: list[str] = []
    for field in DailyRow.model_fields:
        if field in _NESTED:
            continue
        columns.append(field)
        if field in _INTERVALS:
            columns.extend(_INTERVALS[field][0] + column for column in _UPLIFT_COLUMNS)
        if field == "chat_revenue" and currency is not None:
            columns.append("currency")
    agents = sorted({agent for row in rows for agent in row.agents})
    categories = sorted({category for row in rows for category in row.categories})
    cells = sorted(
        {(agent, name) for row in rows for agent, by in row.agent_categories.items() for name in by}
    )
    channels = sorted({channel for row in rows for channel in row.preferred_channels})
    category_channels = sorted(
        {
            (name, channel)
            for row in rows
            for name, by in row.preferred_channels_by_category.items()
            for channel in by
        }
    )
    columns += [f"agent:{agent}:{metric}" for agent in agents for metric in BREAKDOWN_FIELDS]
    columns += [f"category:{name}:{metric}" for name in categories for metric in BREAKDOWN_FIELDS]
    columns += [
        f"agent_category:{agent}:{name}:{metric}" for agent, name in cells for metric in BREAKDOWN_FIELDS
    ]
    columns += [f"preferred_channel:{channel}" for channel in channels]
    columns += [f"category:{name}:preferred_channel:{channel}" for name, channel in category_channels]
    return columns


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _flat(row: DailyRow) -> dict[str, str]:
    flat = {field: _cell(getattr(row, field)) for field in DailyRow.model_fields if field not in _NESTED}
    for prefix, nested in _INTERVALS.values():
        detail: Uplift = getattr(row, nested)
        values = (
            detail.low, detail.high, detail.significant, detail.sessions_still_needed_per_group,
            detail.offered_conversions, detail.holdout_conversions,
        )  # fmt: skip
        flat.update({prefix + name: _cell(v) for name, v in zip(_UPLIFT_COLUMNS, values, strict=True)})
    cells = {f"{agent}:{name}": b for agent, by in row.agent_categories.items() for name, b in by.items()}
    for kind, breakdowns in (("agent", row.agents), ("category", row.categories), ("agent_category", cells)):
        for key, breakdown in breakdowns.items():
            for metric in BREAKDOWN_FIELDS:
                flat[f"{kind}:{key}:{metric}"] = _cell(getattr(breakdown, metric))
    for channel, count in row.preferred_channels.items():
        flat[f"preferred_channel:{channel}"] = _cell(count)
    for name, by in row.preferred_channels_by_category.items():
        for channel, count in by.items():
            flat[f"category:{name}:preferred_channel:{channel}"] = _cell(count)
    return flat


def rows_csv(rows: Sequence[DailyRow], *, currency: str | None = None) -> str:
    """The rows as CSV (RFC 4180, CRLF line ends, a header line): one line per row, the columns of
    `csv_columns`. An empty cell is no data (None), or an agent or category absent that day; the
    `currency` column (when given) names the currency of `revenue` and `chat_revenue`."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=csv_columns(rows, currency=currency), restval="")
    writer.writeheader()
    for row in rows:
        flat = _flat(row)
        if currency is not None:
            flat["currency"] = currency
        writer.writerow(flat)
    return buffer.getvalue()
