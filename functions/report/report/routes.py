"""Operator routes of the report function: the daily report (JSON, CSV and HTML) and staffing.

The site is the token's (`site_id` claim): there is no site in the path, so an operator can only
ever read their own site. The caller is checked first (401, agents 403); then Powertools
validates the query (422: a date missing or not a date, weeks out of range); the route then
checks the range (from after to, more than 366 days: 422).
"""

from __future__ import annotations

from datetime import date, datetime
from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler import Depends
from aws_lambda_powertools.event_handler.api_gateway import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel

from klantreis.api import checked_first, current_principal, new_router, roles_first
from klantreis.errors import NotFound
from klantreis.observability import metrics
from klantreis.reports.daily import rows_csv
from klantreis.reports.performance import AgentCategoryPerformance
from klantreis.reports.ports import PerformanceReader
from klantreis.reports.service import CSV_TYPE, HTML_TYPE, DailyReport, Reports
from klantreis.reports.staffing import Staffing
from klantreis.sites import Site, SiteStore
from report import dependencies

router = new_router()

TAGS = ["reports"]
OPERATOR = checked_first(roles_first(router, "operator"))
UNKNOWN_SITE: dict[int, OpenAPIResponse] = {
    404: {"description": "the token's site does not exist (code not_found)"}
}
FromDate = Annotated[date, Query(alias="from", description="The first local day of the site (YYYY-MM-DD).")]
ToDate = Annotated[date, Query(description="The last local day (YYYY-MM-DD), included; at most 366 days.")]
Sites = Annotated[SiteStore, Depends(dependencies.site_store)]
SiteReports = Annotated[Reports, Depends(dependencies.reports)]
Performance = Annotated[PerformanceReader, Depends(dependencies.performance_reader)]
Clock = Annotated[datetime, Depends(dependencies.now)]


def _operators_site(sites: SiteStore) -> Site:
    """The caller's own site, after checking that the caller is an operator."""
    principal = current_principal(router).require("operator")
    site = sites.get(principal.site_id)
    if site is None:
        raise NotFound(f"unknown site {principal.site_id!r}")
    return site


def _daily(sites: SiteStore, reports: Reports, start: date, end: date) -> DailyReport:
    site = _operators_site(sites)
    report = reports.daily(site, start, end)
    metrics.add_metric(name="ReportDaysRead", unit="Count", value=len(report.rows))
    return report


@router.get(
    "/v1/reports/daily",
    summary="The daily report of the caller's site (operator)",
    description="One row per local day of the site from `from` to `to` (both included, at most "
    "366 days; a day without activity is a row of zeros) and the period's `total`, each figure of "
    "the total derived from the period's summed counts.",
    tags=TAGS,
    responses={200: {"description": "the report"}, **UNKNOWN_SITE},
)
@OPERATOR
def get_daily_report(start: FromDate, to: ToDate, sites: Sites, reports: SiteReports) -> DailyReport:
    return _daily(sites, reports, start, to)


@router.get(
    "/v1/reports/daily.csv",
    summary="The daily report as CSV (operator)",
    description="The rows of GET /v1/reports/daily as a CSV download (RFC 4180, a header line).",
    tags=TAGS,
    responses={
        200: {"description": "The rows as CSV.", "content": {"text/csv": {"schema": {"type": "string"}}}},
        **UNKNOWN_SITE,
    },
)
@OPERATOR
def get_daily_report_csv(start: FromDate, to: ToDate, sites: Sites, reports: SiteReports) -> Response[str]:
    report = _daily(sites, reports, start, to)
    filename = f"klantreis-{report.site_id}-{report.start}-{report.to}.csv"
    return Response(
        status_code=HTTPStatus.OK,
        content_type=CSV_TYPE,
        body=rows_csv(report.rows, currency=report.currency),
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


class AgentPerformanceTable(BaseModel):
    cells: list[AgentCategoryPerformance]
    """One per agent and category the agent has served, by category then agent."""


@router.get(
    "/v1/reports/agents",
    summary="Agent x category performance (operator)",
    description="For every agent and category they served: chats, conversions, resolution, handle "
    "time, CSAT, NPS and CES with their sample counts. Running totals, as predictive routing "
    "weighs them (the daily report has the same figures per day, per agent and per category).",
    tags=TAGS,
)
@OPERATOR
def get_agent_performance(sites: Sites, performance: Performance) -> AgentPerformanceTable:
    site = _operators_site(sites)
    return AgentPerformanceTable(cells=performance.all(site.site_id))


HTML_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
"""The page's own styles (inline, as the nightly file has them) and nothing else: no script, no
outside resource, no framing."""


@router.get(
    "/v1/reports/daily.html",
    summary="The daily report as an HTML page (operator)",
    description="The page the nightly job writes for a day, for any range of at most 366 days: "
    "key figures, the funnels, conversion per day, the uplift with its interval, satisfaction per "
    "agent and category, and the staffing heatmap of the 4 weeks up to `to`.",
    tags=TAGS,
    responses={
        200: {"description": "The report page.", "content": {"text/html": {"schema": {"type": "string"}}}}
    },
)
@OPERATOR
def get_daily_report_html(start: FromDate, to: ToDate, sites: Sites, reports: SiteReports) -> Response[str]:
    site = _operators_site(sites)
    page = reports.page(site, start, to)
    metrics.add_metric(name="ReportPagesRead", unit="Count", value=1)
    return Response(
        status_code=HTTPStatus.OK,
        content_type=HTML_TYPE,
        body=page,
        headers={"Content-Security-Policy": HTML_POLICY, "X-Frame-Options": "DENY"},
    )


@router.get(
    "/v1/reports/staffing",
    summary="Agents needed per hour of the week (operator)",
    description="Chat arrivals and handle times per hour of the week over the `weeks` weeks up to "
    "now (today, the site's local day, up to its current hour; the days before the first with "
    "traffic left out), the agents Erlang C needs for the service-level target, and the hours "
    "where the opening hours miss the shoppers. A weekday hour not observed yet is estimated "
    "from the same hour of the other weekdays (`estimated`).",
    tags=TAGS,
    responses={200: {"description": "the plan"}, **UNKNOWN_SITE},
)
@OPERATOR
def get_staffing(
    sites: Sites,
    reports: SiteReports,
    now: Clock,
    weeks: Annotated[int, Query(ge=1, le=26, description="Weeks back, today included (1-26).")] = 4,
) -> Staffing:
    site = _operators_site(sites)
    plan = reports.staffing(site, weeks, now)
    metrics.add_metric(name="ReportDaysRead", unit="Count", value=plan.days)
    return plan
