"""A site's engagement configuration: opening hours, proactive-chat rules (like action maps),
holdout share and frequency caps — what operators set through the API."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from typing import Annotated, Literal, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, WithJsonSchema, field_validator

from klantreis.keys import ID_PATTERN
from klantreis.sites import TimeZoneName
from klantreis.strict import STRICT_INPUT, IsoDate, Lax

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TIME_OF_DAY = r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$"
TimeOfDay = Annotated[str, StringConstraints(pattern=TIME_OF_DAY)]
Interval = Annotated[
    tuple[TimeOfDay, TimeOfDay],
    Lax,
    # Both ends have the same schema, so the pair is documented as an array of two times rather
    # than with `prefixItems` (valid OpenAPI 3.1, but schemathesis rewrites it to draft 4's tuple
    # form and then refuses the document).
    WithJsonSchema(
        {"type": "array", "items": {"type": "string", "pattern": TIME_OF_DAY}, "minItems": 2, "maxItems": 2}
    ),
]
"""["08:00", "21:00"]: open from the first time (inclusive) to the second (exclusive)."""
RuleStage = Literal["browsing", "cart", "checkout"]
Score = Annotated[float, Field(ge=0.0, le=1.0)]
RuleId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
Label = Annotated[str, StringConstraints(min_length=1, max_length=100)]
UrlPattern = Annotated[str, StringConstraints(pattern=r"^[/*]", min_length=1, max_length=200)]
"""A glob on a URL's path (`/checkout*`, `*/laarzen/*`); a path starts with `/`, so must a pattern
that is not led by a wildcard."""
DayHours = Annotated[list[Interval], Field(max_length=12)]
_Day = TypeVar("_Day", str, date)


def _minutes(value: str) -> int:
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def _check_intervals(intervals: list[Interval], where: str) -> list[Interval]:
    spans = sorted((_minutes(start), _minutes(end)) for start, end in intervals)
    for start, end in spans:
        if start >= end:
            raise ValueError(f"{where}: an interval must end after it starts")
    for (_, first_end), (second_start, _) in itertools.pairwise(spans):
        if second_start < first_end:
            raise ValueError(f"{where}: intervals overlap")
    return sorted(intervals, key=lambda interval: _minutes(interval[0]))


class OpeningHours(BaseModel):
    """When chats are offered: weekly hours in the site's time zone, and dated exceptions
    (`{"2026-12-25": []}` is closed all day, a list of intervals replaces that day's hours)."""

    model_config = ConfigDict(**STRICT_INPUT, frozen=True, extra="forbid")

    timezone: TimeZoneName = "Europe/Amsterdam"
    weekly: dict[Weekday, DayHours] = Field(default_factory=dict)
    """A day that is missing or has no intervals is closed."""
    exceptions: dict[IsoDate, DayHours] = Field(default_factory=dict, max_length=400)

    @field_validator("weekly", "exceptions")
    @classmethod
    def _valid_intervals(cls, days: dict[_Day, list[Interval]]) -> dict[_Day, list[Interval]]:
        """Each day's intervals end after they start, do not overlap, and are kept in order."""
        return {day: _check_intervals(intervals, str(day)) for day, intervals in days.items()}

    def is_open(self, at: datetime) -> bool:
        """Whether `at` (an aware moment) falls in the hours of its local day: wall-clock times,
        so 08:00 stays 08:00 across a DST change; a time skipped by the change never occurs."""
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError("is_open needs an aware datetime")
        local = at.astimezone(ZoneInfo(self.timezone))
        intervals = self.exceptions.get(local.date())
        if intervals is None:
            intervals = self.weekly.get(WEEKDAYS[local.weekday()], [])
        minute = local.hour * 60 + local.minute
        return any(_minutes(start) <= minute < _minutes(end) for start, end in intervals)

    @classmethod
    def webshop_default(cls, timezone: str = "Europe/Amsterdam") -> OpeningHours:
        """Weekdays 08:00-21:00, weekends 09:00-17:00."""
        weekly: dict[Weekday, list[Interval]] = {day: [("08:00", "21:00")] for day in WEEKDAYS[:5]}
        weekly.update({day: [("09:00", "17:00")] for day in WEEKDAYS[5:]})
        return cls(timezone=timezone, weekly=weekly)

    @classmethod
    def always_open(cls, timezone: str = "Europe/Amsterdam") -> OpeningHours:
        return cls(timezone=timezone, weekly={day: [("00:00", "24:00")] for day in WEEKDAYS})


class RuleTriggers(BaseModel):
    """All conditions must hold; an empty list or a missing bound does not restrict."""

    model_config = ConfigDict(**STRICT_INPUT, frozen=True, extra="forbid")

    stages: list[RuleStage] = Field(default_factory=list)
    min_cart_value: float | None = Field(None, ge=0)
    categories: list[Label] = Field(default_factory=list, max_length=100)
    """Any of these among the categories in the cart or viewed in the session."""
    url_patterns: list[UrlPattern] = Field(default_factory=list, max_length=50)
    """Globs on the path of the page the visitor is on (`/checkout*`); query and fragment are
    ignored, and a moment without a URL matches none."""
    min_idle_seconds: int = Field(0, ge=0, le=86_400)
    min_purchase_intent: Score = 0.0
    min_abandonment_risk: Score = 0.0


class EngagementRule(BaseModel):
    model_config = ConfigDict(**STRICT_INPUT, frozen=True, extra="forbid")

    rule_id: RuleId
    name: str = Field(min_length=1, max_length=200)
    enabled: bool = True
    priority: int = Field(100, ge=0, le=10_000)
    """Among rules that match, the highest priority wins (then the earlier in the list)."""
    triggers: RuleTriggers = Field(default_factory=RuleTriggers)
    message: str = Field(min_length=1, max_length=500)
    category: Label | None = None
    """Routing category of the chat; unset: the session's main category."""
    max_expected_wait_seconds: int = Field(60, ge=0, le=3_600)


class FrequencyCaps(BaseModel):
    model_config = ConfigDict(**STRICT_INPUT, frozen=True, extra="forbid")

    per_session: int = Field(1, ge=0, le=20)
    """Offers shown in one session at most."""
    cooldown_after_reject_seconds: int = Field(86_400, ge=0, le=90 * 86_400)
    """After a visitor rejects an offer, no new offer for this long, across sessions."""
    per_day: int = Field(2, ge=0, le=50)
    """Offers to one visitor per day (site time zone) at most."""


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th given weekday (Monday 0) of a month."""
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def default_special_days(year: int) -> list[date]:
    """The Dutch retail calendar: Valentijnsdag, Moederdag (2nd Sunday of May), Vaderdag (3rd
    Sunday of June), Black Friday (the Friday after the 4th Thursday of November), Sinterklaas
    and Kerst — the gift days the UCI data's SpecialDay column measures closeness to."""
    return [
        date(year, 2, 14),
        _nth_weekday(year, 5, 6, 2),
        _nth_weekday(year, 6, 6, 3),
        _nth_weekday(year, 11, 3, 4) + timedelta(days=1),
        date(year, 12, 5),
        date(year, 12, 25),
    ]


class EngagementConfig(BaseModel):
    """The site's proactive-chat rules, holdout share, frequency caps and calendar."""

    model_config = ConfigDict(**STRICT_INPUT, frozen=True, extra="forbid")

    rules: list[EngagementRule] = Field(default_factory=list, max_length=50)
    holdout_share: float = Field(0.10, ge=0.0, le=0.5)
    """Share of visitors never offered (the baseline for uplift); deterministic per visitor."""
    caps: FrequencyCaps = Field(default_factory=FrequencyCaps)
    special_days: list[IsoDate] | None = Field(None, max_length=200)
    """The site's special (gift) days; unset: the Dutch retail calendar of every year."""

    def special_days_near(self, today: date) -> list[date]:
        """Special days that can matter today (the features look up to two weeks ahead)."""
        if self.special_days is not None:
            return list(self.special_days)
        return [*default_special_days(today.year), *default_special_days(today.year + 1)]

    @field_validator("rules")
    @classmethod
    def _unique_ids(cls, rules: list[EngagementRule]) -> list[EngagementRule]:
        ids = [rule.rule_id for rule in rules]
        if len(ids) != len(set(ids)):
            raise ValueError("rule ids must be unique")
        return rules

    @classmethod
    def webshop_default(cls) -> EngagementConfig:
        """Offer help to valuable visitors who hesitate: at checkout, and with a full cart."""
        return cls(
            rules=[
                EngagementRule(
                    rule_id="checkout-hesitation",
                    name="Hesitation at checkout",
                    priority=200,
                    triggers=RuleTriggers(
                        stages=["checkout"], min_cart_value=50, min_idle_seconds=20, min_abandonment_risk=0.4
                    ),
                    message="Twijfel je nog? Een van onze adviseurs helpt je graag verder.",
                ),
                EngagementRule(
                    rule_id="valuable-cart",
                    name="Valuable cart, no progress",
                    priority=100,
                    triggers=RuleTriggers(
                        stages=["cart"], min_cart_value=150, min_idle_seconds=45, min_abandonment_risk=0.5
                    ),
                    message="Vragen over je bestelling? Chat met ons.",
                ),
            ]
        )
