"""The scheduled sweep (every minute): agents whose console went silent past the heartbeat window
go offline and their open chats back to the queue; every site's queue is drained, so a queued
chat never waits on a trigger that was lost."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from klantreis.observability import logger, metrics
from route import dependencies


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    totals = {"sites": 0, "agents_offline": 0, "chats_requeued": 0, "slots_freed": 0, "chats_assigned": 0}
    service = dependencies.chat_service()
    sites = dependencies.site_store()
    for site_id in dependencies.site_ids():
        site = sites.get(site_id)
        if site is None:
            continue
        swept = service.sweep(site)
        totals["sites"] += 1
        for name, value in swept.items():
            totals[name] += value
    metrics.add_metric(name="AgentsTimedOut", unit="Count", value=totals["agents_offline"])
    metrics.add_metric(name="ChatsRequeued", unit="Count", value=totals["chats_requeued"])
    logger.info("sweep done", extra=totals)
    return totals
