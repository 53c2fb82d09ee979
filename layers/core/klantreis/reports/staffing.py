"""Staffing per hour of the week: chat arrivals and handle time from the hourly counters, agents
needed by Erlang C for the service-level target, and where the opening hours miss the shoppers.

Chat arrivals only happen while chat is offered, so the hours that are closed show no chats even
when shoppers are online. What opening would ask there is estimated from the sessions of that
hour times the chats per session of the open hours (`expected_arrivals_if_open`).

Observed days: a site's first days of traffic count from the first day with any (the days of a
period before it would dilute every mean with the zeros of a site not yet live), and the day of
`now` counts up to its current hour, so a first day of traffic shows at once (before 2026-12-04
the period ended yesterday and every day of it counted: locally, after a first day, all zeros).
A weekday hour not observed yet (one day of traffic has one weekday) is estimated from the same
hour of the weekdays that were observed, and says so (`estimated`).

Pure: the caller hands in the counters of every local day of the period (an empty mapping for a
day without any), the site's opening hours and, for a period that ends today, the local `now`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from klantreis.engagement.config import WEEKDAYS, Interval, OpeningHours
from klantreis.reports import names, stats

HOURS = range(24)
DEFAULT_HANDLE_SECONDS = 480.0
"""The handle time assumed while no chat of the period has ended (8 minutes, a typical chat)."""
CLOSED = "closed"
PARTLY_CLOSED = "partly closed"


class StaffingHour(BaseModel):
    """One hour of the week (local time of the site), as a mean over the days of that weekday."""

    model_config = ConfigDict(frozen=True)

    weekday: int
    """0 = Monday ... 6 = Sunday."""
    hour: int
    """0-23: from hour:00 to hour:59."""
    days: int
    """Days of this weekday observed at this hour (from the first day of traffic, up to now): the
    means are over these. 0 when `estimated`."""
    estimated: bool = False
    """No day of this weekday was observed at this hour yet: the figures are the mean of the same
    hour of the weekdays that were."""
    sessions_per_hour: float
    arrivals_per_hour: float
    """Chats started, per hour."""
    handle_seconds: float | None
    """Mean handle time of chats started in this hour that ended; None when none ended."""
    agents_needed: int
    """For the chats that arrived, at the period's target (handle time of this hour, else the
    period's mean)."""
    open_share: float
    """The share of this hour open in the weekly hours (0..1)."""
    open: bool
    """Open for at least part of the hour."""
    expected_arrivals_if_open: float
    """Arrivals plus the sessions of the closed part of the hour times the chats per session of
    the open hours: the chats opening would bring."""
    agents_needed_if_open: int
    missed: str | None
    """`closed` or `partly closed` when shoppers are online (at least `busy_share` of the busiest
    hour's sessions) while chat is closed; None otherwise."""


class Staffing(BaseModel):
    model_config = ConfigDict(frozen=True)

    days: int
    """Days observed: from the period's first day with traffic to its last (today counts while
    it runs)."""
    weeks: float
    first_day: str | None = None
    """The first day observed (the first with traffic); None without any."""
    last_day: str | None = None
    last_hour: int | None = None
    """The last hour observed of `last_day`: 23 unless the period ends today."""
    target_share: float
    target_seconds: float
    concurrency: float
    handle_seconds: float | None
    """Mean handle time over the period's ended chats."""
    chats_per_session: float | None
    """Chats started per session in the open hours."""
    hours: list[StaffingHour]
    """168 hours, Monday 00:00 first."""
    peak: StaffingHour | None
    """The hour with the most expected arrivals if open; None without any."""
    closed_demand_share: float | None
    """The share of the period's sessions that fell while chat was closed (each day's own hours,
    exceptions included); None without sessions."""


def _minutes(value: str) -> int:
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def open_share(intervals: Sequence[Interval], hour: int) -> float:
    """The share of `hour` (hour:00 to hour+1:00) covered by `intervals` of one day."""
    start, end = hour * 60, hour * 60 + 60
    covered = sum(
        max(0, min(end, _minutes(close)) - max(start, _minutes(opening))) for opening, close in intervals
    )
    return min(1.0, covered / 60)


def _day_intervals(hours: OpeningHours, day: date) -> Sequence[Interval]:
    exception = hours.exceptions.get(day)
    if exception is not None:
        return exception
    return hours.weekly.get(WEEKDAYS[day.weekday()], [])


def _has_traffic(counters: Mapping[str, float]) -> bool:
    return any(
        counters.get(names.hourly_counter(hour, metric)) for hour in HOURS for metric in ("sessions", "chats")
    )


def observed_days(
    counters_by_day: Mapping[str, Mapping[str, float]], now: datetime | None = None
) -> list[tuple[date, int]]:
    """(day, last hour observed) of the days that count: from the first with traffic on, none
    after `now`'s day (the site's local time), `now`'s own day up to its current hour."""
    days = sorted(date.fromisoformat(day) for day in counters_by_day)
    active = [day for day in days if _has_traffic(counters_by_day[day.isoformat()])]
    if not active:
        return []
    today = now.date() if now is not None else None
    observed = []
    for day in days:
        if day < active[0] or (today is not None and day > today):
            continue
        observed.append((day, now.hour if now is not None and day == today else HOURS[-1]))
    return observed


def staffing(
    counters_by_day: Mapping[str, Mapping[str, float]],
    hours: OpeningHours,
    *,
    now: datetime | None = None,
    concurrency: float = 2.0,
    target_share: float = 0.8,
    target_seconds: float = 30,
    busy_share: float = 0.25,
    default_handle_seconds: float = DEFAULT_HANDLE_SECONDS,
) -> Staffing:
    """The staffing view of a period from its days' hourly counters (`h{HH}#sessions`,
    `h{HH}#chats`, `h{HH}#ended`, `h{HH}#handle_seconds`; keys of `counters_by_day` are the
    site's local days, YYYY-MM-DD). Agents are counted for `target_share` of chats answered
    within `target_seconds`, an agent holding `concurrency` chats at once; an hour is flagged
    `missed` when its sessions reach `busy_share` of the busiest hour's while chat is closed.
    Only `observed_days` count (`now`: the site's local time when the period ends today)."""
    observed = [[0] * 24 for _ in range(7)]
    sums = {metric: [[0.0] * 24 for _ in range(7)] for metric in names.HOURLY_METRICS}
    all_sessions = closed_sessions = 0.0
    open_sessions = open_chats = 0.0
    days = observed_days(counters_by_day, now)
    for day, last_hour in days:
        counters = counters_by_day[day.isoformat()]
        weekday = day.weekday()
        intervals = _day_intervals(hours, day)
        for hour in HOURS[: last_hour + 1]:
            observed[weekday][hour] += 1
            values = {
                metric: float(counters.get(names.hourly_counter(hour, metric), 0.0))
                for metric in names.HOURLY_METRICS
            }
            for metric, value in values.items():
                sums[metric][weekday][hour] += value
            share = open_share(intervals, hour)
            all_sessions += values["sessions"]
            closed_sessions += values["sessions"] * (1 - share)
            if share >= 1.0:
                open_sessions += values["sessions"]
                open_chats += values["chats"]

    ended_total = sum(sum(row) for row in sums["ended"])
    handle_total = sum(sum(row) for row in sums["handle_seconds"])
    mean_handle = handle_total / ended_total if ended_total > 0 else None
    chats_per_session = open_chats / open_sessions if open_sessions > 0 else None

    def needed(arrivals: float, handle: float) -> int:
        return stats.agents_needed(
            arrivals,
            handle,
            target_share=target_share,
            target_seconds=target_seconds,
            concurrency=concurrency,
        )

    def estimated(weekday: int, hour: int) -> bool:
        return observed[weekday][hour] == 0 and any(observed[other][hour] for other in range(7))

    def total(metric: str, weekday: int, hour: int) -> tuple[float, int]:
        """The sum and the days behind it: this weekday's, or every weekday's when estimated."""
        if estimated(weekday, hour):
            return sum(sums[metric][d][hour] for d in range(7)), sum(observed[d][hour] for d in range(7))
        return sums[metric][weekday][hour], observed[weekday][hour]

    def mean(metric: str, weekday: int, hour: int) -> float:
        value, seen = total(metric, weekday, hour)
        return value / seen if seen else 0.0

    busiest = max(mean("sessions", weekday, hour) for weekday in range(7) for hour in HOURS)
    result: list[StaffingHour] = []
    for weekday in range(7):
        weekly = hours.weekly.get(WEEKDAYS[weekday], [])
        for hour in HOURS:
            ended = total("ended", weekday, hour)[0]
            own_handle = total("handle_seconds", weekday, hour)[0] / ended if ended > 0 else None
            handle = own_handle if own_handle is not None else (mean_handle or default_handle_seconds)
            share = open_share(weekly, hour)
            sessions = mean("sessions", weekday, hour)
            arrivals = mean("chats", weekday, hour)
            expected = arrivals + sessions * (1 - share) * (chats_per_session or 0.0)
            busy = sessions > 0 and sessions >= busy_share * busiest
            missed = None
            if busy and share <= 0:
                missed = CLOSED
            elif busy and share < 1:
                missed = PARTLY_CLOSED
            result.append(
                StaffingHour(
                    weekday=weekday,
                    hour=hour,
                    days=observed[weekday][hour],
                    estimated=estimated(weekday, hour),
                    sessions_per_hour=round(sessions, 4),
                    arrivals_per_hour=round(arrivals, 4),
                    handle_seconds=None if own_handle is None else round(own_handle, 1),
                    agents_needed=needed(arrivals, handle),
                    open_share=round(share, 4),
                    open=share > 0,
                    expected_arrivals_if_open=round(expected, 4),
                    agents_needed_if_open=needed(expected, handle),
                    missed=missed,
                )
            )

    with_demand = [hour for hour in result if hour.expected_arrivals_if_open > 0]
    peak = (
        max(with_demand, key=lambda h: (h.expected_arrivals_if_open, h.agents_needed_if_open))
        if with_demand
        else None
    )
    return Staffing(
        days=len(days),
        weeks=round(len(days) / 7, 2),
        first_day=days[0][0].isoformat() if days else None,
        last_day=days[-1][0].isoformat() if days else None,
        last_hour=days[-1][1] if days else None,
        target_share=target_share,
        target_seconds=target_seconds,
        concurrency=concurrency,
        handle_seconds=None if mean_handle is None else round(mean_handle, 1),
        chats_per_session=None if chats_per_session is None else round(chats_per_session, 6),
        hours=result,
        peak=peak,
        closed_demand_share=round(closed_sessions / all_sessions, 6) if all_sessions > 0 else None,
    )
