"""The minute sweep in process against moto: each site is swept on its own, so one failing site
does not keep the later sites' silent agents and queues waiting."""

from __future__ import annotations

from typing import Any

import pytest

from klantreis.scheduled import JobFailed
from klantreis.sites import Site
from klantreis.sites.dynamo_store import DynamoSiteStore
from route import sweep, sweep_dependencies
from tests.factories import FakeContext


class SweepFailingFor:
    """The agents' sweep (klantreis.dispatch.sweep), failing for one site (a throttled table, bad
    data) and recording the sites it was asked to sweep."""

    def __init__(self, failing: str) -> None:
        self.failing = failing
        self.swept: list[str] = []

    def sweep(self, site: Site) -> dict[str, int]:
        self.swept.append(site.site_id)
        if site.site_id == self.failing:
            raise RuntimeError("ProvisionedThroughputExceededException")
        return {"agents_offline": 1, "chats_requeued": 2, "slots_freed": 0, "chats_assigned": 2}


@pytest.fixture
def three_sites(demo_site: Site, dynamodb: Any, table_name: str) -> list[str]:
    sites = DynamoSiteStore(dynamodb, table_name)
    for site_id in ("alpha-shop", "zulu-shop"):
        sites.put(Site(site_id=site_id, name=site_id.title()))
    return sorted(["alpha-shop", demo_site.site_id, "zulu-shop"])


def test_a_failing_site_does_not_stop_the_sweep_of_the_later_sites(
    three_sites: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given the middle site's sweep failing
    service = SweepFailingFor("demo")
    monkeypatch.setattr(sweep_dependencies, "agent_presence", lambda: service)
    # when the minute's sweep runs, it fails (the errors alarm sees it) naming that site
    with pytest.raises(JobFailed, match=r"sweep failed for 1 site\(s\): demo"):
        sweep.lambda_handler({}, FakeContext())
    # then every site was swept, the one after the failing one too
    assert service.swept == three_sites == ["alpha-shop", "demo", "zulu-shop"]
