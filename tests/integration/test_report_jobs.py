"""The report function's scheduled jobs in process against moto (DynamoDB, S3, SNS): the nightly
report lands in the bucket once per site and local day, and alerts are published once per site,
condition and day, to the topic and to a webhook (a small local HTTP server here)."""

from __future__ import annotations

import csv
import io
import itertools
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest

from klantreis import dynamo, keys, services
from klantreis.projections.counters_dynamo_store import DynamoCounterStore
from klantreis.reports import names
from klantreis.reports.channels import NoWebhook, SecretWebhook, SlackWebhook
from klantreis.reports.daily import daily_row
from klantreis.reports.dynamo_store import DynamoReportStore
from klantreis.settings import get_settings
from klantreis.sites import Site
from klantreis.sites.dynamo_store import DynamoSiteStore
from klantreis_local import template
from report import job_dependencies
from report.jobs import JobFailed
from tests.factories import FakeContext

# The jobs as deployed: under their template policies (a DynamoDB call beyond them is refused).
nightly_handler = template.handler("ReportNightlyFunction")
alerts_handler = template.handler("ReportAlertsFunction")

BUCKET = "klantreis-reports-test"
_markers = itertools.count(1)


@pytest.fixture(autouse=True)
def _fresh_services() -> Iterator[None]:
    services.forget()
    yield
    get_settings.cache_clear()
    services.forget()


def configure(monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    services.forget()


def scheduled(at: str) -> dict[str, Any]:
    """An EventBridge scheduled event of `at` (UTC)."""
    return {"source": "aws.events", "detail-type": "Scheduled Event", "time": at, "detail": {}}


def add_counters(dynamodb: Any, table_name: str, site_id: str, day: str, counters: dict[str, float]) -> None:
    store = DynamoCounterStore(dynamodb, table_name)
    assert store.add_once(f"jobs-{next(_markers)}", {(site_id, day): counters}, 1_800_000_000)


def report_items(dynamodb: Any, table_name: str, site_id: str) -> list[str]:
    items = dynamo.query_all(
        dynamodb,
        TableName=table_name,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": keys.report_pk(site_id)}},
    )
    return [item["SK"]["S"] for item in items]


@pytest.fixture
def s3(dynamodb: Any) -> Any:
    client = boto3.client("s3", region_name="eu-west-1")
    client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    return client


@pytest.fixture
def tokyo_site(dynamodb: Any, table_name: str) -> Site:
    site = Site(site_id="tokyo-shop", name="Tokyo Kutsu", timezone="Asia/Tokyo", currency="JPY")
    DynamoSiteStore(dynamodb, table_name).put(site)
    return site


# --------------------------------------------------------------------------- nightly
@pytest.mark.usefixtures("demo_site", "tokyo_site")
def test_the_nightly_job_writes_each_sites_previous_day_once(
    dynamodb: Any,
    table_name: str,
    s3: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given the bucket, and the demo site's 21 November plus an earlier day of its 14-day context
    configure(monkeypatch, REPORTS_BUCKET=BUCKET)
    add_counters(
        dynamodb, table_name, "demo", "2026-11-21",
        {"sessions": 30, "cart_sessions": 5, "converted_cart_sessions": 1, "purchases": 2, "revenue": 150.0,
         "csat_n": 4, "csat_good": 3},
    )  # fmt: skip
    add_counters(dynamodb, table_name, "demo", "2026-11-15", {"sessions": 7})

    # when the hourly run comes at 15:30 UTC: 16:30 in Amsterdam, 00:30 (the 23rd) in Tokyo
    summary = nightly_handler(scheduled("2026-11-22T15:30:00Z"), FakeContext())

    # then Amsterdam's 21st is reported, Tokyo waits until 01:00 there
    assert summary == {"sites": 2, "failed": 0, "stored": 1, "not_due": 1}
    listed = s3.list_objects_v2(Bucket=BUCKET)["Contents"]
    assert sorted(obj["Key"] for obj in listed) == [
        "reports/demo/2026-11-21.csv",
        "reports/demo/2026-11-21.html",
    ]
    csv_head = s3.head_object(Bucket=BUCKET, Key="reports/demo/2026-11-21.csv")
    assert csv_head["ContentType"] == "text/csv; charset=utf-8"
    assert csv_head["ServerSideEncryption"] == "AES256"
    html_head = s3.head_object(Bucket=BUCKET, Key="reports/demo/2026-11-21.html")
    assert html_head["ContentType"] == "text/html; charset=utf-8"
    assert html_head["ServerSideEncryption"] == "AES256"
    body = s3.get_object(Bucket=BUCKET, Key="reports/demo/2026-11-21.csv")["Body"].read().decode()
    [line] = list(csv.DictReader(io.StringIO(body)))
    assert (line["date"], line["sessions"], line["revenue"], line["cart_abandonment_rate"]) == (
        "2026-11-21", "30", "150.0", "0.8",
    )  # fmt: skip
    html = s3.get_object(Bucket=BUCKET, Key="reports/demo/2026-11-21.html")["Body"].read().decode()
    assert "Demo schoenenwinkel" in html
    # and the row is stored, the same as the report computes from the counters
    stored = DynamoReportStore(dynamodb, table_name).get_day("demo", "2026-11-21")
    counters = DynamoCounterStore(dynamodb, table_name).day_counters("demo", "2026-11-21")
    assert stored == daily_row("2026-11-21", counters)
    assert stored is not None
    assert (stored.sessions, stored.csat) == (30, 75.0)

    # when the job runs again (a retried invocation, 00:45 in Tokyo)
    again = nightly_handler(scheduled("2026-11-22T15:45:00Z"), FakeContext())

    # then nothing is built twice: one row stored, the same two files
    assert again == {"sites": 2, "failed": 0, "exists": 1, "not_due": 1}
    assert report_items(dynamodb, table_name, "demo") == ["DAY#2026-11-21"]
    assert len(s3.list_objects_v2(Bucket=BUCKET)["Contents"]) == 2

    # when the run after midnight comes (01:30 on the 23rd in Amsterdam, 09:30 in Tokyo)
    next_day = nightly_handler(scheduled("2026-11-23T00:30:00Z"), FakeContext())

    # then both sites' 22nd is reported (Tokyo's a day of zeros)
    assert next_day == {"sites": 2, "failed": 0, "stored": 2}
    assert report_items(dynamodb, table_name, "tokyo-shop") == ["DAY#2026-11-22"]
    tokyo = DynamoReportStore(dynamodb, table_name).get_day("tokyo-shop", "2026-11-22")
    assert tokyo is not None
    assert (tokyo.sessions, tokyo.revenue) == (0, 0.0)


def test_without_a_bucket_the_row_is_stored_and_the_files_skipped(
    demo_site: Site, dynamodb: Any, table_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    # given the local stack's environment: no REPORTS_BUCKET
    assert get_settings().reports_bucket is None
    # when the job runs
    summary = nightly_handler(scheduled("2026-11-22T15:30:00Z"), FakeContext())
    # then it reports the day without writing files, and says so
    assert summary == {"sites": 1, "failed": 0, "stored": 1}
    assert report_items(dynamodb, table_name, "demo") == ["DAY#2026-11-21"]
    assert any("REPORTS_BUCKET is not set" in m for m in caplog.messages)


def test_a_failed_upload_stores_nothing_and_the_next_run_redoes_the_day(
    demo_site: Site, dynamodb: Any, table_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a bucket that does not exist (yet)
    configure(monkeypatch, REPORTS_BUCKET=BUCKET)
    # when the job runs, the run fails (the errors alarm sees it) and no row is stored
    with pytest.raises(JobFailed, match="demo"):
        nightly_handler(scheduled("2026-11-22T15:30:00Z"), FakeContext())
    assert report_items(dynamodb, table_name, "demo") == []
    # when the bucket is there at the next run
    s3 = boto3.client("s3", region_name="eu-west-1")
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    summary = nightly_handler(scheduled("2026-11-22T16:30:00Z"), FakeContext())
    # then the day is done
    assert summary == {"sites": 1, "failed": 0, "stored": 1}
    assert len(s3.list_objects_v2(Bucket=BUCKET)["Contents"]) == 2


# --------------------------------------------------------------------------- alerts
@dataclass
class Webhook:
    """A local Slack-compatible webhook: records each POSTed JSON body, answers `status`."""

    status: int = 200
    received: list[Any] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            hook.received.append(json.loads(self.rfile.read(length)))
            self.send_response(hook.status)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    hook.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/alerts"
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def topic(dynamodb: Any) -> str:
    arn: str = boto3.client("sns", region_name="eu-west-1").create_topic(Name="report-alerts")["TopicArn"]
    return arn


def published(topic_arn: str) -> list[tuple[str | None, dict[str, Any]]]:
    """(subject, message) of everything published to the moto topic."""
    from moto.sns import sns_backends

    _, _, _, region, account, _ = topic_arn.split(":")
    notifications = sns_backends[account][region].topics[topic_arn].sent_notifications
    return [(subject, json.loads(message)) for _, message, subject, _, _ in notifications]


TRAILING = [f"2026-11-{day}" for day in range(15, 22)]
TODAY = "2026-11-22"
AFTERNOON = scheduled("2026-11-22T15:00:00Z")  # 16:00 in Amsterdam


def seed_trailing_week(dynamodb: Any, table_name: str) -> None:
    """A good week: 90% CSAT, every chat answered within 10 s."""
    for day in TRAILING:
        add_counters(
            dynamodb, table_name, "demo", day,
            {"csat_n": 20, "csat_good": 18, "chats_assigned": 15, names.wait_bucket_of(8): 15},
        )  # fmt: skip


def bad_csat(answers: int = 6, good: int = 3) -> dict[str, float]:
    return {"csat_n": answers, "csat_good": good}


def slow_chats(fast: int = 4, slow: int = 8) -> dict[str, float]:
    """Chats answered within 10 s and after 40 s."""
    return {"chats_assigned": fast + slow, names.wait_bucket_of(8): fast, names.wait_bucket_of(40): slow}


@pytest.mark.usefixtures("demo_site")
def test_a_csat_drop_and_a_missed_service_level_are_alerted_once(
    dynamodb: Any,
    table_name: str,
    topic: str,
    webhook: Webhook,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given a good week, and today 50% CSAT on 6 answers and 4 of 12 chats answered within 30 s
    configure(monkeypatch, ALERT_TOPIC_ARN=topic, ALERT_WEBHOOK_URL=webhook.url)
    seed_trailing_week(dynamodb, table_name)
    add_counters(dynamodb, table_name, "demo", TODAY, {**bad_csat(), **slow_chats()})

    # when the hourly check runs
    summary = alerts_handler(AFTERNOON, FakeContext())

    # then one message names both conditions with their figures
    assert summary == {
        "sites": 1, "failed": 0, "alerted": 1, "alerts_csat_drop": 1, "alerts_service_level": 1,
    }  # fmt: skip
    [(subject, message)] = published(topic)
    assert subject == "Klantreis alert: Demo schoenenwinkel: CSAT drop, service level missed"
    assert (message["site_id"], message["day"], message["timezone"]) == ("demo", TODAY, "Europe/Amsterdam")
    csat, level = message["alerts"]
    assert csat == {
        "condition": "csat_drop", "csat_today": 50.0, "csat_answers_today": 6, "csat_trailing": 90.0,
        "csat_answers_trailing": 140, "drop_points": 40.0, "drop_threshold_points": 10.0,
    }  # fmt: skip
    assert level == {
        "condition": "service_level", "service_level_today": 0.3333, "chats_assigned_today": 12,
        "service_level_trailing": 1.0, "chats_assigned_trailing": 105, "target": 0.8, "seconds": 30.0,
    }  # fmt: skip
    # and the webhook got the same in a Slack-compatible body
    [posted] = webhook.received
    assert set(posted) == {"text"}
    assert "Demo schoenenwinkel" in posted["text"]
    assert "CSAT 50% today (6 answers) vs 90%" in posted["text"]
    assert "service level 33% of 12 chats answered within 30 s today (target 80%)" in posted["text"]

    # when the check runs again within the same day
    again = alerts_handler(scheduled("2026-11-22T16:00:00Z"), FakeContext())

    # then nothing is sent twice
    assert again == {"sites": 1, "failed": 0, "quiet": 1}
    assert len(published(topic)) == 1
    assert len(webhook.received) == 1
    markers = report_items(dynamodb, table_name, "demo")
    assert markers == [f"ALERT#{TODAY}#csat_drop", f"ALERT#{TODAY}#service_level"]


def test_a_condition_that_appears_later_in_the_day_is_alerted_alone(
    demo_site: Site, dynamodb: Any, table_name: str, topic: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, ALERT_TOPIC_ARN=topic)
    seed_trailing_week(dynamodb, table_name)
    # given a CSAT drop alerted this afternoon
    add_counters(dynamodb, table_name, "demo", TODAY, bad_csat())
    assert alerts_handler(AFTERNOON, FakeContext())["alerted"] == 1
    # when slow chats pile up by the evening
    add_counters(dynamodb, table_name, "demo", TODAY, slow_chats())
    evening = alerts_handler(scheduled("2026-11-22T19:00:00Z"), FakeContext())
    # then only the service level is alerted then
    assert evening["alerts_service_level"] == 1
    assert "alerts_csat_drop" not in evening
    assert [[a["condition"] for a in message["alerts"]] for _, message in published(topic)] == [
        ["csat_drop"],
        ["service_level"],
    ]
    assert published(topic)[1][0] == "Klantreis alert: Demo schoenenwinkel: service level missed"


@pytest.mark.parametrize(
    "today",
    [
        pytest.param(bad_csat(answers=4, good=0), id="4 CSAT answers, all bad"),
        pytest.param(slow_chats(fast=0, slow=9), id="9 chats, all slow"),
        pytest.param({"csat_n": 10, "csat_good": 9, **slow_chats(fast=9, slow=1)}, id="a good day"),
        pytest.param(bad_csat(answers=10, good=8), id="a 10-point drop is not more than 10"),
    ],
)
@pytest.mark.usefixtures("demo_site")
def test_too_little_evidence_or_small_changes_raise_nothing(
    dynamodb: Any,
    table_name: str,
    topic: str,
    monkeypatch: pytest.MonkeyPatch,
    today: dict[str, float],
) -> None:
    configure(monkeypatch, ALERT_TOPIC_ARN=topic)
    seed_trailing_week(dynamodb, table_name)
    add_counters(dynamodb, table_name, "demo", TODAY, today)
    assert alerts_handler(AFTERNOON, FakeContext()) == {"sites": 1, "failed": 0, "quiet": 1}
    assert published(topic) == []
    assert report_items(dynamodb, table_name, "demo") == []


def test_the_thresholds_come_from_the_environment(
    demo_site: Site, dynamodb: Any, table_name: str, topic: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given stricter thresholds than the defaults
    configure(monkeypatch, ALERT_TOPIC_ARN=topic, CSAT_DROP_POINTS="5", ALERT_MIN_SURVEYS="3")
    seed_trailing_week(dynamodb, table_name)
    # when today has 3 answers at 66.7% (23 points below the week)
    add_counters(dynamodb, table_name, "demo", TODAY, bad_csat(answers=3, good=2))
    # then that is a drop
    assert alerts_handler(AFTERNOON, FakeContext())["alerts_csat_drop"] == 1


@pytest.fixture
def csat_drop_today(demo_site: Site, dynamodb: Any, table_name: str) -> None:
    seed_trailing_week(dynamodb, table_name)
    add_counters(dynamodb, table_name, "demo", TODAY, bad_csat())


@pytest.mark.parametrize("failure", ["answers 500", "unreachable"])
@pytest.mark.usefixtures("csat_drop_today")
def test_a_failing_webhook_does_not_fail_the_job(
    topic: str, webhook: Webhook, monkeypatch: pytest.MonkeyPatch, failure: str
) -> None:
    # given a webhook that is down
    url = webhook.url
    if failure == "answers 500":
        webhook.status = 500
    else:
        url = "http://127.0.0.1:9/hooks/alerts"  # the discard port: nothing listens
    configure(monkeypatch, ALERT_TOPIC_ARN=topic, ALERT_WEBHOOK_URL=url)
    # when the check runs
    summary = alerts_handler(AFTERNOON, FakeContext())
    # then the job succeeds, the alert went to the topic, and it is not sent again
    assert summary["alerts_csat_drop"] == 1
    assert len(published(topic)) == 1
    assert len(webhook.received) == (1 if failure == "answers 500" else 0)
    assert alerts_handler(AFTERNOON, FakeContext())["quiet"] == 1
    assert len(published(topic)) == 1


def test_without_a_topic_alerts_are_logged_and_the_job_succeeds(
    demo_site: Site, dynamodb: Any, table_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    # given the local stack's environment: no topic, no webhook
    assert get_settings().alert_topic_arn is None
    seed_trailing_week(dynamodb, table_name)
    add_counters(dynamodb, table_name, "demo", TODAY, bad_csat())
    # when the check runs
    summary = alerts_handler(AFTERNOON, FakeContext())
    # then it finds the drop and says it was not published
    assert summary["alerts_csat_drop"] == 1
    assert any("ALERT_TOPIC_ARN is not set" in m for m in caplog.messages)


def test_a_scheduled_event_without_a_time_runs_now(demo_site: Site) -> None:
    # the local stack's scheduler sends no `time`
    event = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}
    assert nightly_handler(event, FakeContext())["sites"] == 1
    assert alerts_handler(event, FakeContext())["sites"] == 1


# --------------------------------------------------------------------------- the webhook's secret
@pytest.fixture
def secretsmanager(dynamodb: Any) -> Iterator[Any]:
    """moto's Secrets Manager (in the tables' mock), with Powertools' secrets provider and cache
    fresh around the test."""
    from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS

    DEFAULT_PROVIDERS.pop("secrets", None)
    yield boto3.client("secretsmanager", region_name="eu-west-1")
    DEFAULT_PROVIDERS.pop("secrets", None)


def webhook_secret(secretsmanager: Any, value: str | None) -> str:
    """A secret shaped as the template creates it, then holding `value` as its url."""
    arn: str = secretsmanager.create_secret(Name="klantreis-test-alert-webhook", SecretString='{"url": ""}')[
        "ARN"
    ]
    if value is not None:
        secretsmanager.put_secret_value(SecretId=arn, SecretString=json.dumps({"url": value}))
    return arn


@pytest.mark.usefixtures("csat_drop_today")
def test_the_webhook_url_is_read_from_its_secret(
    topic: str, webhook: Webhook, secretsmanager: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given the deployed environment: the secret's ARN, no URL in any variable
    arn = webhook_secret(secretsmanager, webhook.url)
    configure(monkeypatch, ALERT_TOPIC_ARN=topic, ALERT_WEBHOOK_SECRET_ARN=arn)
    # when the check finds a drop
    summary = alerts_handler(AFTERNOON, FakeContext())
    # then the webhook got it
    assert summary["alerts_csat_drop"] == 1
    [posted] = webhook.received
    assert "CSAT 50% today" in posted["text"]


@pytest.mark.parametrize("secret", ["no url yet", "not a URL", "not JSON", "missing"])
@pytest.mark.usefixtures("csat_drop_today")
def test_an_unusable_webhook_secret_skips_the_webhook_and_never_logs_its_value(
    *,
    topic: str,
    webhook: Webhook,
    secretsmanager: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    secret: str,
) -> None:
    # given a secret as the stack leaves it (no url yet), or holding something unusable, or gone
    if secret == "missing":
        arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:klantreis-test-gone-AbCdEf"
    elif secret == "not JSON":
        arn = webhook_secret(secretsmanager, None)
        secretsmanager.put_secret_value(SecretId=arn, SecretString="ftp-secret-value")
    else:
        arn = webhook_secret(
            secretsmanager, None if secret == "no url yet" else "ftp://hooks.example/secret-value"
        )
    configure(monkeypatch, ALERT_TOPIC_ARN=topic, ALERT_WEBHOOK_SECRET_ARN=arn)
    # when the check runs
    summary = alerts_handler(AFTERNOON, FakeContext())
    # then the alert still went to the topic, nothing to the webhook, and no log line quotes the value
    assert summary["alerts_csat_drop"] == 1
    assert len(published(topic)) == 1
    assert webhook.received == []
    assert not [m for m in caplog.messages if "secret-value" in m]
    assert any("webhook" in m for m in caplog.messages)
    assert not [r for r in caplog.records if "secret-value" in str(getattr(r, "error", ""))]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        pytest.param({"ALERT_WEBHOOK_SECRET_ARN": ""}, NoWebhook, id="the template's empty ARN: none"),
        pytest.param({"ALERT_WEBHOOK_URL": "https://hooks.example/x"}, SlackWebhook, id="a URL (local)"),
        pytest.param(
            {"ALERT_WEBHOOK_URL": "https://hooks.example/x", "ALERT_WEBHOOK_SECRET_ARN": "arn:secret"},
            SecretWebhook,
            id="the secret wins",
        ),
    ],
)
def test_the_webhook_comes_from_its_secret_else_a_local_url(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: type
) -> None:
    configure(monkeypatch, **env)
    assert type(job_dependencies.alert_webhook()) is expected
