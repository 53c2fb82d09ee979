"""The services this function uses, built once per Lambda instance on first use (no client is
created and no environment read at import time)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

from klantreis import aws, dynamo
from klantreis.engagement.store import DynamoEngagementSettingsStore, EngagementSettingsStore
from klantreis.projections.day_counters import DynamoCounterStore
from klantreis.projections.live_board import DynamoLiveBoardStore, LiveBoardStore
from klantreis.reports.alerts import Alerts, AlertThresholds
from klantreis.reports.feedback import DynamoFeedbackReader
from klantreis.reports.performance import DynamoPerformanceReader
from klantreis.reports.service import NightlyReports, Reports, ServiceLevel
from klantreis.reports.store import (
    AlertPublisher,
    AlertWebhook,
    DayCounterReader,
    DynamoReportStore,
    NoWebhook,
    ReportFiles,
    ReportStore,
    S3ReportFiles,
    SecretWebhook,
    SkippedAlertPublisher,
    SkippedReportFiles,
    SlackWebhook,
    SnsAlertPublisher,
)
from klantreis.settings import get_settings
from klantreis.sites import DynamoSiteStore

ALERT_MIN_ASSIGNED_CHATS = 10
"""Fewer assigned chats today than this never raise a service-level alert."""


def now() -> datetime:
    """The report routes' clock ("today" is the site's local day of it); tests pin it."""
    return datetime.now(UTC)


@cache
def site_store() -> DynamoSiteStore:
    return DynamoSiteStore(dynamo.client(), get_settings().table_name)


@cache
def settings_store() -> EngagementSettingsStore:
    return DynamoEngagementSettingsStore(dynamo.client(), get_settings().table_name)


@cache
def counter_store() -> DayCounterReader:
    return DynamoCounterStore(dynamo.client(), get_settings().table_name)


@cache
def report_store() -> ReportStore:
    return DynamoReportStore(dynamo.client(), get_settings().table_name)


@cache
def feedback_reader() -> DynamoFeedbackReader:
    return DynamoFeedbackReader(dynamo.client(), get_settings().table_name)


@cache
def performance_reader() -> DynamoPerformanceReader:
    return DynamoPerformanceReader(dynamo.client(), get_settings().table_name)


@cache
def reports() -> Reports:
    settings = get_settings()
    return Reports(
        counter_store(),
        settings_store(),
        ServiceLevel(settings.service_level_target, settings.service_level_seconds),
    )


@cache
def report_files() -> ReportFiles:
    """The reports bucket; without REPORTS_BUCKET (the local stack) files are skipped and logged."""
    bucket = get_settings().reports_bucket
    return S3ReportFiles(aws.client("s3"), bucket) if bucket else SkippedReportFiles()


@cache
def alert_publisher() -> AlertPublisher:
    """The alert topic; without ALERT_TOPIC_ARN (the local stack) alerts are only logged."""
    topic = get_settings().alert_topic_arn
    return SnsAlertPublisher(aws.client("sns"), topic) if topic else SkippedAlertPublisher()


@cache
def alert_webhook() -> AlertWebhook:
    """The webhook's URL from its secret (deployed), else from ALERT_WEBHOOK_URL, else none."""
    settings = get_settings()
    if settings.alert_webhook_secret_arn:
        return SecretWebhook(settings.alert_webhook_secret_arn)
    url = settings.alert_webhook_url
    return SlackWebhook(url) if url else NoWebhook()


@cache
def nightly() -> NightlyReports:
    return NightlyReports(reports(), report_store(), report_files())


@cache
def alerts() -> Alerts:
    settings = get_settings()
    thresholds = AlertThresholds(
        csat_drop_points=settings.csat_drop_points,
        min_surveys=settings.alert_min_surveys,
        service_level_target=settings.service_level_target,
        service_level_seconds=settings.service_level_seconds,
        min_assigned_chats=ALERT_MIN_ASSIGNED_CHATS,
    )
    return Alerts(counter_store(), report_store(), alert_publisher(), alert_webhook(), thresholds)


@cache
def board_store() -> LiveBoardStore:
    """The live board the stream function keeps (functions/aggregate), for the live view's route."""
    return DynamoLiveBoardStore(dynamo.client(), get_settings().table_name)


def reset() -> None:
    """Forgets every built service (tests that change the environment call this)."""
    factories = (site_store, settings_store, counter_store, report_store, reports, report_files)
    for factory in (
        *factories,
        alert_publisher,
        alert_webhook,
        nightly,
        alerts,
        feedback_reader,
        performance_reader,
        board_store,
    ):
        factory.cache_clear()
