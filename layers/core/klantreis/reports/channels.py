"""The report function's adapters beyond the table (the ports: klantreis.reports.ports): report
files in S3, alerts to SNS and a webhook, and their stand-ins when the stack has none configured."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from klantreis.observability import logger
from klantreis.secrets import secret_string

WEBHOOK_TIMEOUT_SECONDS = 5.0


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
