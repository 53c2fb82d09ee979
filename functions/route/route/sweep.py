"""The scheduled sweep (every minute): agents whose console went silent past the heartbeat window
go offline and their open chats back to the queue; every site's queue is drained, so a queued
chat never waits on a trigger that was lost. Each site is swept on its own: one failing site is
logged and the later sites are still swept; the run then fails, so the errors alarm sees it."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from klantreis.observability import logger, metrics
from klantreis.scheduled import for_each_site
from route import sweep_dependencies as dependencies

SWEPT = ("agents_offline", "chats_requeued", "slots_freed", "chats_assigned")


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    presence = dependencies.agent_presence()
    run = for_each_site("sweep", dependencies.site_lister(), presence.sweep, "SweepSitesFailed")
    totals = {**dict.fromkeys(SWEPT, 0), **run.summary()}
    metrics.add_metric(name="AgentsTimedOut", unit="Count", value=totals["agents_offline"])
    metrics.add_metric(name="ChatsRequeued", unit="Count", value=totals["chats_requeued"])
    run.raise_if_failed()
    return totals
