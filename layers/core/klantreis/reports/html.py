"""The nightly report as one self-contained HTML page: inline CSS and inline SVG, no scripts, no
external assets, so it opens anywhere (a mail attachment, an S3 object, a phone) and shows the
same thing in ten years. Operators look, not read: every section is a chart with one line of text.

Every string that comes from data (site name, agent ids, categories, dates) is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from klantreis.reports.daily import Breakdown, DailyRow
from klantreis.reports.staffing import Staffing, StaffingHour

WIDTH = 400
"""The width of a chart's viewBox: about a phone's width, so its text stays legible there;
charts scale with the page up to `max-width`."""
HEATMAP_WIDTH = 600
"""The staffing heatmap is wider (24 columns); on a phone it scrolls sideways."""
LABEL_WIDTH = 118
ROW_HEIGHT = 26
MAX_LABEL = 16
MAX_UPLIFT_DAYS = 31
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DASH = "\u2013"  # en dash: no data
TIMES = "\u00d7"  # multiplication sign: agent x category

_CSS = """
:root{--ink:#1d2733;--muted:#5f6b7a;--line:#d5dbe3;--bar:#2f6fdf;--bar2:#7d54c9;--good:#1b8a4b;
--bad:#c23b30;--closed:#eef0f3;--bg:#fff}
*{box-sizing:border-box}
body{margin:0;padding:12px;font:15px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
color:var(--ink);background:var(--bg)}
main{max-width:960px;margin:0 auto}
h1{font-size:1.4em;margin:.2em 0}
h2{font-size:1.1em;margin:1.4em 0 .3em;border-bottom:1px solid var(--line);padding-bottom:.2em}
p{margin:.3em 0}
.muted{color:var(--muted)}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(130px,1fr));gap:8px;margin:.8em 0}
.tile{border:1px solid var(--line);border-radius:8px;padding:8px}
.tile b{display:block;font-size:1.35em}
.tile span{color:var(--muted);font-size:.85em}
.pair{display:grid;grid-template-columns:repeat(auto-fit,minmax(280px,1fr));gap:12px}
svg{width:100%;max-width:600px;height:auto;display:block}
.scroll{overflow-x:auto}.scroll svg{min-width:560px;max-width:900px}
svg text{font:13px system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;fill:var(--ink)}
svg .muted{fill:var(--muted)}
.bar{fill:var(--bar)}.bar2{fill:var(--bar2)}.good{fill:var(--good);stroke:var(--good)}
.bad{fill:var(--bad);stroke:var(--bad)}.neutral{fill:var(--muted);stroke:var(--muted)}
.axis{stroke:var(--muted);stroke-width:1}.grid{stroke:var(--line);stroke-width:1}
.whisker{stroke-width:3}
.cell{stroke:#fff;stroke-width:1}.closed{fill:var(--closed)}.missed{stroke:var(--bad);stroke-width:2.5}
table{border-collapse:collapse;width:100%;font-size:.9em}
th,td{border-bottom:1px solid var(--line);padding:3px 6px;text-align:right}
th:first-child,td:first-child{text-align:left}
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def _int(value: float) -> str:
    return f"{round(value):,}"


def _pct(share: float | None, digits: int = 1) -> str:
    return DASH if share is None else f"{share * 100:.{digits}f}%"


def _score(value: float | None, signed: bool = False) -> str:
    if value is None:
        return DASH
    return f"{value:+.0f}" if signed else f"{value:.0f}"


def _seconds(value: float | None) -> str:
    return DASH if value is None else f"{value:.0f} s"


def _money(amount: float, currency: str) -> str:
    return f"{currency} {amount:,.2f}"


def _pp(value: float) -> str:
    return f"{value * 100:+.1f} pp"


def _svg(height: float, body: str, label: str, width: int = WIDTH) -> str:
    return (
        f'<svg viewBox="0 0 {width} {height:.0f}" role="img" aria-label="{_e(label)}">'
        f"<title>{_e(label)}</title>{body}</svg>"
    )


def _tile(value: str, label: str) -> str:
    return f'<div class="tile"><b>{_e(value)}</b><span>{_e(label)}</span></div>'


def _tiles(total: DailyRow, currency: str) -> str:
    tiles = [
        (_int(total.sessions), "sessions"),
        (_pct(total.conversion_rate), "conversion"),
        (_money(total.revenue, currency), "revenue"),
        (_money(total.chat_revenue, currency), "revenue attributed to chats"),
        (_pct(total.cart_abandonment_rate), "cart abandonment"),
        (_int(total.chats), "chats"),
        (_pct(total.csat / 100 if total.csat is not None else None, 0), "CSAT (answers 4-5)"),
        (_score(total.nps, signed=True), "NPS"),
        (DASH if total.ces is None else f"{total.ces:.1f}", "CES (1-7)"),
        (_pct(total.first_contact_resolution, 0), "first-contact resolution"),
        (_seconds(total.median_wait_seconds), "median wait"),
        (_pct(total.service_level, 0), "answered within 30 s"),
    ]
    return '<div class="tiles">' + "".join(_tile(value, label) for value, label in tiles) + "</div>"


def _hbars(steps: Sequence[tuple[str, float, str]], css: str, label: str, scale: float | None = None) -> str:
    """Horizontal bars: (label, value, text after the bar); a full bar is `scale`, else the
    largest value."""
    top = scale or max((value for _, value, _ in steps), default=0.0) or 1.0
    room = WIDTH - LABEL_WIDTH - 90
    parts = []
    for index, (name, value, text) in enumerate(steps):
        y = index * ROW_HEIGHT + 4
        width = max(0.0, value) / top * room
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 15}" text-anchor="end">{_e(_short(name))}</text>'
            f'<rect class="{css}" x="{LABEL_WIDTH}" y="{y}" width="{width:.1f}" height="{ROW_HEIGHT - 8}"'
            f' rx="3"><title>{_e(name)}: {_e(text)}</title></rect>'
            f'<text x="{LABEL_WIDTH + width + 6:.1f}" y="{y + 15}">{_e(text)}</text>'
        )
    return _svg(len(steps) * ROW_HEIGHT + 8, "".join(parts), label)


def _funnel(steps: Sequence[tuple[str, int]], css: str, label: str) -> str:
    first = steps[0][1] if steps else 0
    bars = [
        (name, float(count), f"{_int(count)}" + (f" ({_pct(count / first, 0)})" if first else ""))
        for name, count in steps
    ]
    return _hbars(bars, css, label)


BLOCKED_FIELDS = tuple(name for name in DailyRow.model_fields if name.startswith("blocked_"))


def _funnels(total: DailyRow) -> str:
    shop = _funnel(
        [
            ("sessions", total.sessions),
            ("with a cart", total.cart_sessions),
            ("in checkout", total.checkout_sessions),
            ("bought", total.purchase_sessions),
        ],
        "bar",
        "Shop funnel",
    )
    # The offers' own steps only: chats visitors started unprompted are no step of it (they
    # are the chats tile and the chat conversions below).
    offers = _funnel(
        [
            ("qualified", total.qualified),
            ("offered", total.offers),
            ("accepted", total.offers_accepted),
        ],
        "bar2",
        "Offer funnel",
    )
    blocked = [
        (reason.removeprefix("blocked_").replace("_", " "), getattr(total, reason))
        for reason in BLOCKED_FIELDS
        if getattr(total, reason)
    ]
    outcome = (
        f"<p class='muted'>Rejected {_int(total.offers_rejected)}, ignored {_int(total.offers_ignored)}. "
        "Not offered: "
        + (", ".join(f"{_e(name)} {_int(count)}" for name, count in blocked) or "none blocked")
        + f". All chats {_int(total.chats)}, of which converted {_int(total.chat_conversions)}.</p>"
    )
    return (
        "<h2>Funnel</h2>"
        f'<div class="pair"><div><p class="muted">Shop</p>{shop}</div>'
        f'<div><p class="muted">Proactive offers</p>{offers}{outcome}</div></div>'
    )


def _conversion_per_day(rows: Sequence[DailyRow]) -> str:
    if not rows:
        return "<h2>Conversion per day</h2><p class='muted'>No days in this period.</p>"
    height, bottom, left = 200, 170, 44
    rates = [row.conversion_rate or 0.0 for row in rows]
    top = max(rates) or 0.01
    slot = (WIDTH - left - 8) / len(rows)
    parts = [
        f'<line class="grid" x1="{left}" y1="20" x2="{WIDTH - 8}" y2="20"/>',
        f'<text class="muted" x="{left - 4}" y="24" text-anchor="end">{_pct(top)}</text>',
        f'<line class="axis" x1="{left}" y1="{bottom}" x2="{WIDTH - 8}" y2="{bottom}"/>',
        f'<text class="muted" x="{left - 4}" y="{bottom + 4}" text-anchor="end">0%</text>',
    ]
    for index, (row, rate) in enumerate(zip(rows, rates, strict=True)):
        bar = rate / top * (bottom - 20)
        x = left + index * slot + slot * 0.15
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{bottom - bar:.1f}" width="{slot * 0.7:.1f}"'
            f' height="{bar:.1f}"><title>{_e(row.date)}: {_pct(row.conversion_rate)}'
            f" of {_int(row.sessions)} sessions</title></rect>"
        )
    parts.append(f'<text class="muted" x="{left}" y="{bottom + 20}">{_e(rows[0].date)}</text>')
    if len(rows) > 1:
        parts.append(
            f'<text class="muted" x="{WIDTH - 8}" y="{bottom + 20}" text-anchor="end">'
            f"{_e(rows[-1].date)}</text>"
        )
    best = max(range(len(rows)), key=lambda i: rates[i])
    caption = f"Sessions that bought. Best day {_e(rows[best].date)}: {_pct(rates[best])}."
    return f"<h2>Conversion per day</h2><p>{caption}</p>" + _svg(height, "".join(parts), "Conversion per day")


def _policy_caption(total: DailyRow) -> str:
    """Which policy chose the offers, and the uplift the gain policy expected of its own."""
    if total.offer_policy is None:
        return ""
    if total.offer_policy == "rules":
        return "Offers chosen by the rules. "
    who = "Offers chosen by expected gain" if total.offer_policy == "gain" else "Offers partly by gain"
    text = (
        f"{who} ({_int(total.gain_ranked_offers)}; estimated uplift "
        f"{_pp(total.gain_mean_estimated_uplift or 0.0)} on average). "
    )
    like = total.gain_uplift_interval
    if like.estimate is None or like.low is None or like.high is None:
        return text + "Like with like: no holdout session the gain policy would have offered to yet. "
    offered = like.offered_conversions / like.offered_sessions
    held = like.holdout_conversions / like.holdout_sessions
    verdict = "significant" if like.significant else "not significant"
    return text + (
        f"Like with like: gain offers converted {_pct(offered)}, the holdout it would have offered to "
        f"{_pct(held)} ({_int(like.holdout_sessions)} sessions): uplift {_pp(like.estimate)} "
        f"(95% interval {_pp(like.low)} to {_pp(like.high)}, {verdict}). "
    )


def _uplift_caption(total: DailyRow) -> str:
    detail = total.uplift_interval
    if detail.estimate is None or detail.low is None or detail.high is None:
        return "No uplift yet: it needs sessions both offered a chat and held out."
    text = (
        f"Offered sessions converted {_pct(total.offered_conversion_rate)}, the holdout "
        f"{_pct(total.holdout_conversion_rate)}: uplift {_pp(detail.estimate)} "
        f"(95% interval {_pp(detail.low)} to {_pp(detail.high)}). "
    )
    if detail.significant:
        return text + ("Proactive chat sells more." if detail.estimate > 0 else "Proactive chat sells less.")
    still = detail.sessions_still_needed_per_group
    if still:
        return text + f"Not significant yet: about {_int(still)} more sessions per group needed."
    return text + "Not significant."


def _uplift(rows: Sequence[DailyRow], total: DailyRow) -> str:
    shown = [total, *[row for row in rows if row.uplift_interval.estimate is not None][-MAX_UPLIFT_DAYS:]]
    shown = [row for row in shown if row.uplift_interval.low is not None]
    caption = f"<h2>Uplift of proactive chat</h2><p>{_e(_policy_caption(total) + _uplift_caption(total))}</p>"
    if not shown:
        return caption
    reach = max(
        max(abs(row.uplift_interval.low or 0.0), abs(row.uplift_interval.high or 0.0)) for row in shown
    )
    reach = max(reach, 0.01)
    centre, half = LABEL_WIDTH + (WIDTH - LABEL_WIDTH - 20) / 2, (WIDTH - LABEL_WIDTH - 20) / 2

    def x(value: float) -> float:
        return centre + value / reach * half

    height = len(shown) * ROW_HEIGHT + 30
    parts = [
        f'<line class="axis" x1="{centre:.1f}" y1="0" x2="{centre:.1f}" y2="{height - 22}"/>',
        f'<text class="muted" x="{centre:.1f}" y="{height - 6}" text-anchor="middle">0</text>',
        f'<text class="muted" x="{x(-reach):.1f}" y="{height - 6}">{_pp(-reach)}</text>',
        f'<text class="muted" x="{x(reach):.1f}" y="{height - 6}" text-anchor="end">{_pp(reach)}</text>',
    ]
    for index, row in enumerate(shown):
        detail = row.uplift_interval
        low, high, estimate = detail.low or 0.0, detail.high or 0.0, detail.estimate or 0.0
        css = "neutral"
        if detail.significant:
            css = "good" if estimate > 0 else "bad"
        y = index * ROW_HEIGHT + 14
        name = "whole period" if row is total else row.date
        tip = f"{name}: {_pp(estimate)} ({_pp(low)} to {_pp(high)})"
        weight = ' font-weight="bold"' if row is total else ""
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 4}" text-anchor="end"{weight}>{_e(name)}</text>'
            f'<g class="{css}"><title>{_e(tip)}</title>'
            f'<line class="whisker" x1="{x(low):.1f}" y1="{y}" x2="{x(high):.1f}" y2="{y}"/>'
            f'<circle cx="{x(estimate):.1f}" cy="{y}" r="5"/></g>'
        )
    return caption + _svg(height, "".join(parts), "Uplift with its 95% interval")


def _scores(title: str, breakdowns: dict[str, Breakdown]) -> str:
    head = f"<h2>{_e(title)}</h2>"
    with_csat = {key: b for key, b in breakdowns.items() if b.csat is not None}
    with_nps = {key: b for key, b in breakdowns.items() if b.nps is not None}
    if not with_csat and not with_nps:
        return head + "<p class='muted'>No surveys yet.</p>"
    none = "<p class='muted'>No answers yet.</p>"
    csat = (
        _hbars(
            [(key, b.csat or 0.0, f"{_score(b.csat)}% (n={b.csat_answers})") for key, b in with_csat.items()],
            "bar",
            f"{title}: CSAT",
            scale=100.0,
        )
        if with_csat
        else none
    )
    nps = _nps_bars(with_nps, title) if with_nps else none
    return (
        head
        + f'<div class="pair"><div><p class="muted">CSAT: % answers 4-5</p>{csat}</div>'
        + f'<div><p class="muted">NPS: -100 to +100</p>{nps}</div></div>'
    )


def _sampled(value: str, n: int) -> str:
    return DASH if n == 0 else f"{value} (n={n})"


def _service_table(total: DailyRow, currency: str) -> str:
    """Effort, first-contact resolution, time to answer and revenue per agent, per category and
    per agent x category, each with the sample it rests on."""
    rows: list[tuple[str, Breakdown]] = [
        *((f"agent {key}", b) for key, b in total.agents.items()),
        *((f"category {key}", b) for key, b in total.categories.items()),
        *(
            (f"{agent} {TIMES} {category}", b)
            for agent, by in total.agent_categories.items()
            for category, b in by.items()
        ),
    ]
    head = "<h2>Service per agent and category</h2>"
    if not rows:
        return head + "<p class='muted'>No chats yet.</p>"
    header = (
        "<tr><th scope='col'>who</th><th scope='col'>chats</th><th scope='col'>CSAT</th>"
        "<th scope='col'>NPS</th><th scope='col'>CES (1-7)</th><th scope='col'>first-contact resolution</th>"
        "<th scope='col'>mean wait</th><th scope='col'>revenue</th></tr>"
    )
    lines = [
        "<tr>"
        f"<td>{_e(name)}</td><td>{_int(b.chats)}</td>"
        f"<td>{_e(_sampled(_score(b.csat) + '%', b.csat_answers))}</td>"
        f"<td>{_e(_sampled(_score(b.nps, signed=True), b.nps_answers))}</td>"
        f"<td>{_e(_sampled('' if b.ces is None else f'{b.ces:.1f}', b.ces_answers))}</td>"
        f"<td>{_e(_sampled(_pct(b.first_contact_resolution, 0), b.handled))}</td>"
        f"<td>{_e(_sampled(_seconds(b.mean_wait_seconds), b.waits))}</td>"
        f"<td>{_e(_money(b.revenue, currency))}</td>"
        "</tr>"
        for name, b in rows
    ]
    return head + f'<div class="scroll"><table>{header}{"".join(lines)}</table></div>'


def _channels(total: DailyRow) -> str:
    head = "<h2>Preferred channels</h2>"
    if not total.preferred_channels:
        return head + "<p class='muted'>No survey named a channel yet.</p>"
    answers = total.preferred_channel_answers or sum(total.preferred_channels.values())
    bars = _hbars(
        [
            (channel, count, f"{count} ({count / answers:.0%})")
            for channel, count in total.preferred_channels.items()
        ],
        "bar2",
        "Preferred channels named in surveys",
    )
    per_category = "".join(
        f"<p>{_e(category)}: {_e(', '.join(f'{channel} {count}' for channel, count in by.items()))}</p>"
        for category, by in total.preferred_channels_by_category.items()
    )
    return head + f"<p class='muted'>{answers} surveys named one.</p>{bars}{per_category}"


def _nps_bars(rated: dict[str, Breakdown], title: str) -> str:
    """Bars left (red) or right (green) of zero, -100..100; the value in a column at the right."""
    column = 78
    half = (WIDTH - LABEL_WIDTH - column) / 2
    centre = LABEL_WIDTH + half
    height = len(rated) * ROW_HEIGHT + 8
    parts = [f'<line class="axis" x1="{centre:.1f}" y1="0" x2="{centre:.1f}" y2="{height}"/>']
    for index, (key, b) in enumerate(rated.items()):
        y = index * ROW_HEIGHT + 4
        value = b.nps or 0.0
        width = abs(value) / 100 * half
        start = centre if value >= 0 else centre - width
        text = f"{_score(b.nps, signed=True)} (n={b.nps_answers})"
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 15}" text-anchor="end">{_e(_short(key))}</text>'
            f'<rect class="{"good" if value >= 0 else "bad"}" x="{start:.1f}" y="{y}" width="{width:.1f}"'
            f' height="{ROW_HEIGHT - 8}"><title>{_e(key)}: NPS {_e(text)}</title></rect>'
            f'<text x="{WIDTH - 2}" y="{y + 15}" text-anchor="end">{_e(text)}</text>'
        )
    return _svg(height, "".join(parts), f"{title}: NPS")


def _staffing(plan: Staffing) -> str:
    left, top, cell = 40, 20, (HEATMAP_WIDTH - 40) / 24
    by_slot = {(hour.weekday, hour.hour): hour for hour in plan.hours}
    busiest = max((hour.sessions_per_hour for hour in plan.hours), default=0.0) or 1.0
    parts = [
        f'<text class="muted" x="{left + h * cell + cell / 2:.1f}" y="14" text-anchor="middle">{h:02d}</text>'
        for h in range(0, 24, 3)
    ]
    for weekday, name in enumerate(WEEKDAY_NAMES):
        y = top + weekday * cell
        parts.append(f'<text x="{left - 6}" y="{y + cell / 2 + 4:.1f}" text-anchor="end">{name}</text>')
        for h in range(24):
            slot: StaffingHour | None = by_slot.get((weekday, h))
            if slot is None:
                continue
            x = left + h * cell
            strength = slot.sessions_per_hour / busiest
            fill = f'class="cell bar" fill-opacity="{0.08 + 0.92 * strength:.2f}"'
            if not slot.open:
                fill = f'class="cell closed" style="fill:rgba(95,107,122,{0.15 + 0.6 * strength:.2f})"'
            missed = ' class="missed"' if slot.missed else ""
            tip = (
                f"{name} {h:02d}:00 — {slot.sessions_per_hour:.1f} sessions/h, "
                f"{slot.arrivals_per_hour:.1f} chats/h, {'open' if slot.open else 'closed'}; "
                f"{slot.agents_needed_if_open} agents needed if open"
                + (f" ({slot.missed} while shoppers are online)" if slot.missed else "")
            )
            parts.append(
                f'<g><title>{_e(tip)}</title><rect {fill} x="{x:.1f}" y="{y:.1f}" width="{cell:.1f}"'
                f' height="{cell:.1f}"/>'
            )
            if slot.missed:
                parts.append(
                    f'<rect{missed} fill="none" x="{x + 1.5:.1f}" y="{y + 1.5:.1f}"'
                    f' width="{cell - 3:.1f}" height="{cell - 3:.1f}"/>'
                )
            if slot.agents_needed_if_open:
                parts.append(
                    f'<text x="{x + cell / 2:.1f}" y="{y + cell / 2 + 4:.1f}" text-anchor="middle">'
                    f"{slot.agents_needed_if_open}</text>"
                )
            parts.append("</g>")
    height = top + 7 * cell + 4
    missed_hours = sum(1 for hour in plan.hours if hour.missed)
    lines = [
        f"Agents needed per hour of the week by Erlang C: {plan.target_share:.0%} of chats answered "
        f"within {plan.target_seconds:.0f} s, {plan.concurrency:g} chats per agent at once, "
        f"over {plan.weeks:g} weeks.",
        "Colour: shoppers online (darker is busier); grey: chat closed; red outline: closed while "
        "shoppers are online; number: agents needed if open.",
    ]
    if plan.first_day is not None:
        lines.append(
            f"Observed: {plan.days} days from {plan.first_day} to {plan.last_day} "
            f"(up to {plan.last_hour or 0:02d}:59)."
            + (
                " Hours of weekdays not seen yet are estimated from the same hour of the days seen."
                if any(hour.estimated for hour in plan.hours)
                else ""
            )
        )
    if plan.closed_demand_share is not None:
        lines.append(
            f"{_pct(plan.closed_demand_share, 0)} of sessions fell while chat was closed"
            f" ({missed_hours} busy hours a week missed)."
        )
    if plan.peak is not None:
        peak = plan.peak
        lines.append(
            f"Peak: {WEEKDAY_NAMES[peak.weekday]} {peak.hour:02d}:00, "
            f"{peak.expected_arrivals_if_open:.1f} chats/h, {peak.agents_needed_if_open} agents."
        )
    text = "".join(f"<p>{_e(line)}</p>" for line in lines)
    chart = _svg(height, "".join(parts), "Staffing per hour of the week", HEATMAP_WIDTH)
    return f'<h2>Staffing</h2>{text}<div class="scroll">{chart}</div>'


def render_html(
    site_name: str, rows: Sequence[DailyRow], total: DailyRow, staffing: Staffing | None, *, currency: str
) -> str:
    """The report page: key figures, the funnels, conversion per day, the uplift with its
    interval, CSAT and NPS per agent and per category, effort, first-contact resolution, wait and
    revenue per agent, category and agent x category, the preferred channels, and the staffing
    heatmap if given."""
    period = total.date.replace("..", " to ")
    sections = [
        _tiles(total, currency),
        _funnels(total),
        _conversion_per_day(rows),
        _uplift(rows, total),
        _scores("Satisfaction per agent", total.agents),
        _scores("Satisfaction per category", total.categories),
        _service_table(total, currency),
        _channels(total),
    ]
    if staffing is not None:
        sections.append(_staffing(staffing))
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(site_name)}: report {_e(period)}</title>"
        f"<style>{_CSS}</style></head><body><main>"
        f'<h1>{_e(site_name)}</h1><p class="muted">Report {_e(period)}</p>'
        + "".join(sections)
        + "</main></body></html>\n"
    )
