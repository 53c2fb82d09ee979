"""The one place where adapters and services are built: every store, directory and service the
functions use, each made on first use from the settings and the DynamoDB client and then kept
for the life of the Lambda instance.

Routes take what they need as a Powertools dependency (`Depends(provider)`, the providers in each
function's `dependencies.py` read from `current()`); tests swap one with
`app.dependency_overrides[provider] = ...`. A new environment (the tests' moto table) takes effect
through `forget()`, which drops the settings, the clients and the one `Services` instance; there
is no registry of caches.

Each adapter is imported inside the property that builds it, so a function imports only what its
own routes use (cold start).
"""

from __future__ import annotations

from functools import cache, cached_property
from typing import TYPE_CHECKING, Any

from klantreis import aws, dynamo
from klantreis.settings import Settings, get_settings

if TYPE_CHECKING:
    from klantreis.agents.dynamo_store import DynamoAgentStore
    from klantreis.cognito import BearerVerifier
    from klantreis.conversations.discounts import DiscountService
    from klantreis.conversations.dynamo_store import (
        DynamoChatDiscounts,
        DynamoChatEnding,
        DynamoChatMessages,
        DynamoChatPlacement,
        DynamoChatReader,
        DynamoSurveyChats,
    )
    from klantreis.conversations.ending import ChatEnder
    from klantreis.conversations.inbox import ChatLookup
    from klantreis.conversations.messages import MessageService
    from klantreis.conversations.ports import DecisionReader
    from klantreis.dispatch.picking import AgentPicker
    from klantreis.dispatch.placement import ChatStarter
    from klantreis.dispatch.queue import QueueDrainer
    from klantreis.dispatch.sweep import AgentPresence
    from klantreis.engagement.decide import Decider
    from klantreis.engagement.features import PageStatsSource
    from klantreis.engagement.ports import EngagementRecords, EngagementSettingsStore
    from klantreis.engagement.records_dynamo_store import DynamoDecisionLog
    from klantreis.engagement.settings import EngagementSettings
    from klantreis.engagement.site_models import SiteModels
    from klantreis.engagement.uplift import SiteUpliftModels
    from klantreis.journey.dynamo_store import DynamoSessionStore
    from klantreis.journey.ports import VisitorEraser
    from klantreis.journey.tracker import Limits, Tracker
    from klantreis.knowledge.ports import KnowledgeStore
    from klantreis.projections.attribution import AttributionStore
    from klantreis.projections.counters_dynamo_store import DynamoCounterStore
    from klantreis.projections.dynamo_store import DynamoChunkReader, DynamoPageStatsWriter
    from klantreis.projections.live_board import LiveBoardStore, LiveBoardUpdater
    from klantreis.projections.report_counters import DecisionLookup
    from klantreis.reports.alerts import Alerts
    from klantreis.reports.ports import (
        AlertPublisher,
        AlertWebhook,
        FeedbackReader,
        PerformanceReader,
        ReportFiles,
        ReportStore,
    )
    from klantreis.reports.service import NightlyReports, Reports
    from klantreis.scheduled import SiteLister
    from klantreis.sites import SiteDirectory, SiteStore


ALERT_MIN_ASSIGNED_CHATS = 10
"""Fewer assigned chats today than this never raise a service-level alert."""


class Services:
    """The adapters and services of one environment (settings and DynamoDB client)."""

    def __init__(self, settings: Settings, dynamodb: Any) -> None:
        self.settings = settings
        self._db = dynamodb
        self._table = settings.table_name

    # ------------------------------------------------------------------ sites and agents
    @cached_property
    def site_store(self) -> SiteStore:
        from klantreis.sites.dynamo_store import DynamoSiteStore

        return DynamoSiteStore(self._db, self._table)

    @cached_property
    def site_directory(self) -> SiteDirectory:
        """Widget site keys to sites, cached as long as the settings say."""
        from klantreis.sites import SiteDirectory

        return SiteDirectory(self.site_store, self.settings.site_cache_seconds)

    @cached_property
    def site_lister(self) -> SiteLister:
        """Every site, for the scheduled jobs (uncached: a new site is swept from its first minute)."""
        from klantreis.sites.dynamo_store import DynamoSiteStore

        return DynamoSiteStore(self._db, self._table)

    @cached_property
    def agent_store(self) -> DynamoAgentStore:
        from klantreis.agents.dynamo_store import DynamoAgentStore

        return DynamoAgentStore(self._db, self._table)

    @cached_property
    def bearer_verifier(self) -> BearerVerifier | None:
        """Agents' Cognito tokens on routes the widget shares (None locally: the gateway checks)."""
        from klantreis.cognito import verifier_from_settings

        return verifier_from_settings(self.settings)

    # ------------------------------------------------------------------ journeys
    @cached_property
    def session_store(self) -> DynamoSessionStore:
        from klantreis.journey.dynamo_store import DynamoSessionStore

        return DynamoSessionStore(self._db, self._table)

    @cached_property
    def limits(self) -> Limits:
        from klantreis.journey.tracker import Limits

        return Limits(
            max_events=self.settings.max_batch_events,
            max_batch_bytes=self.settings.max_batch_bytes,
            max_event_bytes=self.settings.max_event_bytes,
            retention_days=self.settings.journey_retention_days,
        )

    @cached_property
    def tracker(self) -> Tracker:
        from klantreis.journey.tracker import Tracker

        return Tracker(self.session_store, self.limits)

    @cached_property
    def eraser(self) -> VisitorEraser:
        from klantreis.journey.dynamo_store import DynamoVisitorEraser

        return DynamoVisitorEraser(self._db, self._table)

    # ------------------------------------------------------------------ engagement
    @cached_property
    def engagement_settings_store(self) -> EngagementSettingsStore:
        from klantreis.engagement.settings_dynamo_store import DynamoEngagementSettingsStore

        return DynamoEngagementSettingsStore(self._db, self._table)

    @cached_property
    def engagement_settings(self) -> EngagementSettings:
        """Rules and opening hours as `decide` reads them: cached as long as site profiles are."""
        from klantreis.engagement.settings import EngagementSettings

        return EngagementSettings(self.engagement_settings_store, self.settings.site_cache_seconds)

    @cached_property
    def engagement_records(self) -> EngagementRecords:
        from klantreis.engagement.records_dynamo_store import DynamoEngagementRecords

        return DynamoEngagementRecords(self._db, self._table)

    @cached_property
    def decision_log(self) -> DynamoDecisionLog:
        from klantreis.engagement.records_dynamo_store import DynamoDecisionLog

        return DynamoDecisionLog(self._db, self._table)

    @cached_property
    def page_stats(self) -> PageStatsSource:
        """Bounce and exit rates and page values from the site's own history (cached per site)."""
        from klantreis.engagement.dynamo_store import DynamoPageStatsSource

        return DynamoPageStatsSource(self._db, self._table)

    @cached_property
    def site_models(self) -> SiteModels:
        from klantreis.engagement.dynamo_store import DynamoSiteModelStore
        from klantreis.engagement.model import default_model
        from klantreis.engagement.site_models import SiteModels

        return SiteModels(DynamoSiteModelStore(self._db, self._table), default_model())

    @cached_property
    def uplift_models(self) -> SiteUpliftModels:
        """The sites' uplift models (offers by expected gain); a site without one decides by rules."""
        from klantreis.engagement.dynamo_store import DynamoUpliftModelStore
        from klantreis.engagement.uplift import SiteUpliftModels

        return SiteUpliftModels(DynamoUpliftModelStore(self._db, self._table))

    @cached_property
    def decider(self) -> Decider:
        from klantreis.engagement.decide import Decider
        from klantreis.engagement.model import default_model

        return Decider(
            self.engagement_records,
            self.engagement_settings,
            default_model(),
            self.page_stats,
            models=self.site_models,
            uplift=self.uplift_models,
            heartbeat_seconds=self.settings.agent_heartbeat_seconds,
        )

    # ------------------------------------------------------------------ chats: one adapter per port
    @cached_property
    def chat_reader(self) -> DynamoChatReader:
        from klantreis.conversations.dynamo_store import DynamoChatReader

        return DynamoChatReader(self._db, self._table)

    @cached_property
    def chat_placement(self) -> DynamoChatPlacement:
        from klantreis.conversations.dynamo_store import DynamoChatPlacement

        return DynamoChatPlacement(self._db, self._table)

    @cached_property
    def chat_ending(self) -> DynamoChatEnding:
        from klantreis.conversations.dynamo_store import DynamoChatEnding

        return DynamoChatEnding(self._db, self._table)

    @cached_property
    def chat_messages(self) -> DynamoChatMessages:
        from klantreis.conversations.dynamo_store import DynamoChatMessages

        return DynamoChatMessages(self._db, self._table)

    @cached_property
    def chat_discounts(self) -> DynamoChatDiscounts:
        from klantreis.conversations.dynamo_store import DynamoChatDiscounts

        return DynamoChatDiscounts(self._db, self._table)

    @cached_property
    def survey_chats(self) -> DynamoSurveyChats:
        from klantreis.conversations.dynamo_store import DynamoSurveyChats

        return DynamoSurveyChats(self._db, self._table)

    # ------------------------------------------------------------------ chats: services
    @cached_property
    def agent_picker(self) -> AgentPicker:
        from klantreis.dispatch.picking import AgentPicker

        return AgentPicker(self.chat_placement, heartbeat_seconds=self.settings.agent_heartbeat_seconds)

    @cached_property
    def queue_drainer(self) -> QueueDrainer:
        from klantreis.dispatch.queue import QueueDrainer

        return QueueDrainer(self.chat_reader, self.chat_placement, self.agent_store, self.agent_picker)

    @cached_property
    def chat_ender(self) -> ChatEnder:
        from klantreis.conversations.ending import ChatEnder

        return ChatEnder(self.chat_reader, self.chat_ending, self.agent_store, self.queue_drainer)

    @cached_property
    def chat_starter(self) -> ChatStarter:
        from klantreis.dispatch.placement import ChatStarter, StartReads, StartWrites

        return ChatStarter(
            self.chat_reader,
            StartWrites(self.chat_placement, self.chat_messages, self.survey_chats),
            StartReads(self.session_store, self.engagement_records, self.decision_reader),
            self.agent_store,
            queue=self.queue_drainer,
            ender=self.chat_ender,
            picker=self.agent_picker,
        )

    @cached_property
    def agent_presence(self) -> AgentPresence:
        from klantreis.dispatch.sweep import AgentPresence

        return AgentPresence(
            self.agent_store,
            self.chat_reader,
            self.chat_placement,
            self.chat_ending,
            queue=self.queue_drainer,
            picker=self.agent_picker,
        )

    @cached_property
    def message_service(self) -> MessageService:
        from klantreis.conversations.messages import MessageService

        return MessageService(self.chat_messages)

    @cached_property
    def discount_service(self) -> DiscountService:
        from klantreis.conversations.discounts import DiscountService

        return DiscountService(self.chat_discounts, self.agent_store)

    @cached_property
    def chat_lookup(self) -> ChatLookup:
        from klantreis.conversations.inbox import ChatLookup

        return ChatLookup(self.chat_reader, self.chat_placement, self.agent_store, self.decision_reader)

    @cached_property
    def decision_reader(self) -> DecisionReader:
        from klantreis.conversations.decisions_dynamo_store import DynamoDecisionReader

        return DynamoDecisionReader(self._db, self._table)

    @cached_property
    def knowledge_store(self) -> KnowledgeStore:
        from klantreis.knowledge.dynamo_store import DynamoKnowledgeStore

        return DynamoKnowledgeStore(self._db, self._table)

    # ------------------------------------------------------------------ reports
    @cached_property
    def counter_store(self) -> DynamoCounterStore:
        """The day counters: the report reads them, the stream's aggregate function adds to them."""
        from klantreis.projections.counters_dynamo_store import DynamoCounterStore

        return DynamoCounterStore(self._db, self._table)

    @cached_property
    def report_store(self) -> ReportStore:
        from klantreis.reports.dynamo_store import DynamoReportStore

        return DynamoReportStore(self._db, self._table)

    @cached_property
    def feedback_reader(self) -> FeedbackReader:
        from klantreis.reports.dynamo_store import DynamoFeedbackReader

        return DynamoFeedbackReader(self._db, self._table)

    @cached_property
    def performance_reader(self) -> PerformanceReader:
        from klantreis.reports.dynamo_store import DynamoPerformanceReader

        return DynamoPerformanceReader(self._db, self._table)

    @cached_property
    def reports(self) -> Reports:
        from klantreis.reports.service import Reports, ServiceLevel

        level = ServiceLevel(self.settings.service_level_target, self.settings.service_level_seconds)
        return Reports(self.counter_store, self.engagement_settings_store, level)

    @cached_property
    def report_files(self) -> ReportFiles:
        """The reports bucket; without REPORTS_BUCKET (the local stack) files are skipped and logged."""
        from klantreis.reports.channels import S3ReportFiles, SkippedReportFiles

        bucket = self.settings.reports_bucket
        return S3ReportFiles(aws.client("s3"), bucket) if bucket else SkippedReportFiles()

    @cached_property
    def alert_publisher(self) -> AlertPublisher:
        """The alert topic; without ALERT_TOPIC_ARN (the local stack) alerts are only logged."""
        from klantreis.reports.channels import SkippedAlertPublisher, SnsAlertPublisher

        topic = self.settings.alert_topic_arn
        return SnsAlertPublisher(aws.client("sns"), topic) if topic else SkippedAlertPublisher()

    @cached_property
    def alert_webhook(self) -> AlertWebhook:
        """The webhook's URL from its secret (deployed), else from ALERT_WEBHOOK_URL, else none."""
        from klantreis.reports.channels import NoWebhook, SecretWebhook, SlackWebhook

        if self.settings.alert_webhook_secret_arn:
            return SecretWebhook(self.settings.alert_webhook_secret_arn)
        url = self.settings.alert_webhook_url
        return SlackWebhook(url) if url else NoWebhook()

    @cached_property
    def nightly_reports(self) -> NightlyReports:
        from klantreis.reports.service import NightlyReports

        return NightlyReports(self.reports, self.report_store, self.report_files)

    @cached_property
    def alerts(self) -> Alerts:
        from klantreis.reports.alerts import Alerts, AlertThresholds

        thresholds = AlertThresholds(
            csat_drop_points=self.settings.csat_drop_points,
            min_surveys=self.settings.alert_min_surveys,
            service_level_target=self.settings.service_level_target,
            service_level_seconds=self.settings.service_level_seconds,
            min_assigned_chats=ALERT_MIN_ASSIGNED_CHATS,
        )
        return Alerts(
            self.counter_store, self.report_store, self.alert_publisher, self.alert_webhook, thresholds
        )

    # ------------------------------------------------------------------ the stream's projections
    @cached_property
    def board_store(self) -> LiveBoardStore:
        """The live board the stream keeps (functions/aggregate), for the live view's route."""
        from klantreis.projections.live_board_dynamo_store import DynamoLiveBoardStore

        return DynamoLiveBoardStore(self._db, self._table)

    @cached_property
    def live_updater(self) -> LiveBoardUpdater:
        from klantreis.projections.live_board import LiveBoardUpdater

        return LiveBoardUpdater(self.board_store)

    def decision_lookup(self) -> DecisionLookup:
        """Not kept: cheap to build from the kept client."""
        from klantreis.projections.dynamo_store import DynamoDecisionLookup

        return DynamoDecisionLookup(self._db, self._table)

    def chunk_reader(self) -> DynamoChunkReader:
        """A new one per stream batch: it holds the batch's prefetched chunks."""
        from klantreis.projections.dynamo_store import DynamoChunkReader

        return DynamoChunkReader(self._db, self._table)

    def page_writer(self) -> DynamoPageStatsWriter:
        """Not kept: what waits to be folded is estimated module-wide (pages.FOLD_ESTIMATES)."""
        from klantreis.projections.dynamo_store import DynamoPageStatsWriter

        return DynamoPageStatsWriter(self._db, self._table)

    def attribution_store(self) -> AttributionStore:
        """Not kept: cheap to build from the kept client."""
        from klantreis.conversations.dynamo_store import DynamoAttributionStore

        return DynamoAttributionStore(self._db, self._table)


@cache
def current() -> Services:
    """The services of this Lambda instance, built on first use (no client or environment read at
    import time)."""
    return Services(get_settings(), dynamo.client())


def forget() -> None:
    """The one reset point: drops the settings, the clients and the built services (and the caches
    they hold), so a new environment (a test's moto table, changed settings) takes effect on next
    use."""
    get_settings.cache_clear()
    dynamo.client.cache_clear()
    aws.client.cache_clear()
    aws.session.cache_clear()
    current.cache_clear()
