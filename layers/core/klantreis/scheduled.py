"""Scheduled jobs that visit every site (the nightly report, the report alerts, the route sweep).

Each site is done on its own: one site's failure (bad data, a throttled call) is logged with its
site and the later sites still run; the run then fails with JobFailed, so the function's errors
alarm sees it and the next run redoes only what is missing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from klantreis.observability import logger, metrics
from klantreis.sites import Site

FAILED_SITES_LISTED = 20


class JobFailed(Exception):
    """Some sites could not be done (each is logged with its error)."""


class SiteLister(Protocol):
    def site_ids(self) -> list[str]: ...

    def get(self, site_id: str) -> Site | None: ...


@dataclass
class SiteRun:
    """What a run over every site did: the summed counts of the sites done, and those that failed."""

    job: str
    done: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    failed: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        return {"sites": self.done + len(self.failed), "failed": len(self.failed), **self.counts}

    def raise_if_failed(self) -> None:
        if self.failed:
            listed = ", ".join(self.failed[:FAILED_SITES_LISTED])
            raise JobFailed(f"{self.job} failed for {len(self.failed)} site(s): {listed}")


def for_each_site(
    job: str, sites: SiteLister, work: Callable[[Site], Mapping[str, int]], failed_metric: str
) -> SiteRun:
    """Runs `work` for every site, adding up the counts it returns; a site whose work raises is
    logged, counted in `failed_metric` and listed in the run, and the next site goes on. The
    caller records its metrics, then calls `raise_if_failed`."""
    run = SiteRun(job)
    for site_id in sites.site_ids():
        try:
            site = sites.get(site_id)
            if site is None:
                continue
            counts = work(site)
        except Exception:
            # Whatever one site's data or calls raise must not keep the later sites from their
            # run; the run still fails at the end, so the alarm sees it.
            logger.exception(f"{job} failed for a site", extra={"site_id": site_id})
            run.failed.append(site_id)
            continue
        run.done += 1
        run.counts.update(counts)
    logger.info(f"{job} done", extra=run.summary())
    if run.failed:
        metrics.add_metric(name=failed_metric, unit="Count", value=len(run.failed))
    return run
