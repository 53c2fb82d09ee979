"""Jobs over every site: one failing site (its lookup or its work) is logged and the later sites
still run; the run then fails naming it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from klantreis.scheduled import JobFailed, for_each_site
from klantreis.sites import Site


class FakeSites:
    """Sites by id; `broken` ones cannot even be read."""

    def __init__(self, *site_ids: str, broken: tuple[str, ...] = ()) -> None:
        self._ids = list(site_ids)
        self._broken = broken

    def site_ids(self) -> list[str]:
        return list(self._ids)

    def get(self, site_id: str) -> Site | None:
        if site_id in self._broken:
            raise RuntimeError(f"throttled reading {site_id}")
        if site_id == "deleted":
            return None
        return Site(site_id=site_id, name=site_id.title())


def counting_work(done: list[str], failing: str | None = None) -> Callable[[Site], dict[str, int]]:
    def work(site: Site) -> dict[str, int]:
        done.append(site.site_id)
        if site.site_id == failing:
            raise ValueError("this site's data is bad")
        return {"assigned": 2, "offline": 0}

    return work


def test_every_site_is_done_and_the_counts_are_summed() -> None:
    done: list[str] = []
    run = for_each_site("job", FakeSites("a", "b", "deleted"), counting_work(done), "JobSitesFailed")
    assert done == ["a", "b"]
    assert run.summary() == {"sites": 2, "failed": 0, "assigned": 4, "offline": 0}
    run.raise_if_failed()


@pytest.mark.parametrize("how", ["its work raises", "its lookup raises"])
def test_a_failing_site_does_not_stop_the_later_sites(how: str) -> None:
    # given three sites, the middle one failing
    done: list[str] = []
    sites = FakeSites("a", "b", "c", broken=("b",) if how == "its lookup raises" else ())
    # when the job runs
    run = for_each_site("job", sites, counting_work(done, failing="b"), "JobSitesFailed")
    # then the site after it was done too, and the run fails naming it
    assert done[-1] == "c"
    assert run.summary() == {"sites": 3, "failed": 1, "assigned": 4, "offline": 0}
    with pytest.raises(JobFailed, match=r"job failed for 1 site\(s\): b"):
        run.raise_if_failed()
