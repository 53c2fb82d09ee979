"""Where the report function reads and writes: the days' counters (read concurrently), stored
daily rows and alert markers in the table, report files in S3, alerts to SNS and a webhook.

Ports (Protocols) with their AWS adapters; the jobs and routes see only the ports, so tests can
hand in fakes where moto cannot reach (a webhook, a failing channel).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, Protocol

from klantreis import dynamo, keys
from klantreis.observability import logger
from klantreis.reports.daily import DailyRow
from klantreis.secrets import secret_string

READ_WORKERS = 8
"""Days read at once: enough to hide DynamoDB's round trips, below botocore's 10 pooled
connections per client."""
ALERT_MARKER_TTL_SECONDS = 35 * 24 * 3600
WEBHOOK_TIMEOUT_SECONDS = 5.0

CountersByDay = dict[str, dict[str, float]]


class DayCounterReader(Protocol):
    def day_counters(self, site_id: str, day: str) -> dict[str, float]:
        """Every counter of the day (klantreis.projections.day_counters.DynamoCounterStore, which
        the stream functions write)."""
        ...


def read_days(source: DayCounterReader, site_id: str, days: Sequence[str]) -> CountersByDay:
    """The counters of each day: one Query a day (so the cost follows the days asked for, never
    the traffic), several days at a time. boto3 clients are thread-safe."""
    unique = list(dict.fromkeys(days))
    if len(unique) <= 1:
        return {day: source.day_counters(site_id, day) for day in unique}
    with ThreadPoolExecutor(max_workers=min(READ_WORKERS, len(unique))) as pool:
        counters = pool.map(lambda day: source.day_counters(site_id, day), unique)
        return dict(zip(unique, counters, strict=True))


# --------------------------------------------------------------------------- stored reports
class ReportStore(Protocol):
    def has_day(self, site_id: str, day: str) -> bool: ...

    def put_day(self, site_id: str, row: DailyRow, files: Sequence[str], now: datetime) -> bool:
        """Stores the day's row once; False if it was stored already (by an earlier run)."""
        ...

    def get_day(self, site_id: str, day: str) -> DailyRow | None: ...

    def alerted(self, site_id: str, day: str) -> set[str]:
        """The conditions already alerted for the site's day."""
        ...

    def mark_alerted(
        self, site_id: str, day: str, condition: str, figures: dict[str, Any], now: datetime
    ) -> bool:
        """Records that `condition` was alerted for the day; False if it was already."""
        ...


class DynamoReportStore:
    """SITE#{site}#REPORT / DAY#{date} (the row as JSON, so it reads back exactly) and
    SITE#{site}#REPORT / ALERT#{date}#{condition}; both written with attribute_not_exists."""

    def __init__(self, dynamodb: Any, table: str) -> None:
        self._db = dynamodb
        self._table = table

    def has_day(self, site_id: str, day: str) -> bool:
        answer = self._db.get_item(
            TableName=self._table,
            Key=dynamo.to_item({"PK": keys.report_pk(site_id), "SK": keys.report_day_sk(day)}),
            ProjectionExpression="PK",
            ConsistentRead=True,
        )
        return "Item" in answer

    def get_day(self, site_id: str, day: str) -> DailyRow | None:
        answer = self._db.get_item(
            TableName=self._table,
            Key=dynamo.to_item({"PK": keys.report_pk(site_id), "SK": keys.report_day_sk(day)}),
            ConsistentRead=True,
        )
        item = answer.get("Item")
        return DailyRow.model_validate_json(dynamo.from_item(item)["row"]) if item else None

    def put_day(self, site_id: str, row: DailyRow, files: Sequence[str], now: datetime) -> bool:
        item = {
            "PK": keys.report_pk(site_id),
            "SK": keys.report_day_sk(row.date),
            "site_id": site_id,
            "day": row.date,
            "row": row.model_dump_json(),
            "files": list(files),
            "created_at": now.isoformat(),
        }
        return self._put_once(item)

    def alerted(self, site_id: str, day: str) -> set[str]:
        prefix = keys.report_alert_sk(day, "")
        items = dynamo.query_prefix(
            self._db,
            self._table,
            keys.report_pk(site_id),
            prefix,
            ProjectionExpression="SK",
            ConsistentRead=True,
        )
        return {str(item["SK"]["S"])[len(prefix) :] for item in items}

    def mark_alerted(
        self, site_id: str, day: str, condition: str, figures: dict[str, Any], now: datetime
    ) -> bool:
        item = {
            "PK": keys.report_pk(site_id),
            "SK": keys.report_alert_sk(day, condition),
            "site_id": site_id,
            "day": day,
            "condition": condition,
            "figures": json.dumps(figures, sort_keys=True),
            "created_at": now.isoformat(),
            "expires_at": int(now.timestamp()) + ALERT_MARKER_TTL_SECONDS,
        }
        return self._put_once(item)

    def _put_once(self, item: dict[str, Any]) -> bool:
        answer = dynamo.conditional(
            self._db.put_item,
            TableName=self._table,
            Item=dynamo.to_item(item),
            ConditionExpression="attribute_not_exists(PK)",
        )
        return answer is not None


# --------------------------------------------------------------------------- report files
class ReportFiles(Protocol):
    def put(self, key: str, body: str, content_type: str) -> None: ...


class S3ReportFiles:
    """Objects in the reports bucket, encrypted at rest (SSE-S3)."""

    def __init__(self, s3: Any, bucket: str) -> None:
        self._s3 = s3
        self._bucket = bucket

    def put(self, key: str, body: str, content_type: str) -> None:
        self._s3.put_object(
            Bucket=self._bucket,
            Key=key,
            Body=body.encode("utf-8"),
            ContentType=content_type,
            ServerSideEncryption="AES256",
        )


class SkippedReportFiles:
    """No bucket configured (the local stack): the files are not written, and that is logged."""

    def put(self, key: str, body: str, content_type: str) -> None:
        logger.info("REPORTS_BUCKET is not set; report file not written", extra={"key": key})


# --------------------------------------------------------------------------- alert channels
class AlertPublisher(Protocol):
    def publish(self, subject: str, message: str) -> None: ...


class SnsAlertPublisher:
    def __init__(self, sns: Any, topic_arn: str) -> None:
        self._sns = sns
        self._topic_arn = topic_arn

    def publish(self, subject: str, message: str) -> None:
        self._sns.publish(TopicArn=self._topic_arn, Subject=subject, Message=message)


class SkippedAlertPublisher:
    """No topic configured (the local stack): the alert is only logged."""

    def publish(self, subject: str, message: str) -> None:
        logger.info("ALERT_TOPIC_ARN is not set; alert not published", extra={"subject": subject})


class AlertWebhook(Protocol):
    def post(self, text: str) -> bool:
        """Sends `text`; False (logged) when the webhook could not be reached or refused it."""
        ...


class SlackWebhook:
    """A Slack-compatible incoming webhook: POST {"text": ...}. A channel that is down is
    logged and never fails the job."""

    def __init__(self, url: str, timeout: float = WEBHOOK_TIMEOUT_SECONDS) -> None:
        if not url.startswith(("https://", "http://")):
            raise ValueError("the alert webhook must be an http(s) URL")
        self._url = url
        self._timeout = timeout

    def post(self, text: str) -> bool:
        request = urllib.request.Request(
            self._url,
            data=json.dumps({"text": text}).encode("utf-8"),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as answer:
                status = int(answer.status)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            # HTTPError (a 4xx/5xx answer) is a URLError; timeouts and refused connections OSErrors.
            logger.warning("alert webhook failed", extra={"error": f"{type(exc).__name__}: {exc}"})
            return False
        if not 200 <= status < 300:
            logger.warning("alert webhook refused the alert", extra={"status": status})
            return False
        return True


class SecretWebhook:
    """The webhook whose URL is kept in a Secrets Manager secret, `{"url": "https://..."}`, read
    at each post through the secrets cache: a URL put into the secret reaches warm functions
    within `SECRET_CACHE_SECONDS`, without a redeploy. A secret without a URL yet (as the stack
    creates it) sends nothing; one that cannot be read is logged and never fails the job. No log
    line quotes the URL: it is the webhook's credential."""

    def __init__(self, secret_id: str, timeout: float = WEBHOOK_TIMEOUT_SECONDS) -> None:
        self._secret_id = secret_id
        self._timeout = timeout

    def post(self, text: str) -> bool:
        from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

        try:
            value = json.loads(secret_string(self._secret_id, "alert webhook secret"))
            url = value.get("url") if isinstance(value, dict) else None
            if not url:
                logger.info("the alert webhook secret holds no url; alert not posted")
                return False
            webhook = SlackWebhook(str(url), self._timeout)
        except (GetParameterError, RuntimeError, ValueError) as exc:
            # json.JSONDecodeError and SlackWebhook's refusal are ValueErrors; none quotes the value.
            logger.warning("alert webhook secret unusable", extra={"error": type(exc).__name__})
            return False
        return webhook.post(text)


class NoWebhook:
    def post(self, text: str) -> bool:
        return False
