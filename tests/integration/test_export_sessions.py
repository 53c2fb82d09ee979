"""The operator's session export against moto: tracked sessions → CSV in the UCI columns that
`make train` reads, labelled by whether the session bought."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from klantreis.engagement.config import EngagementConfig
from klantreis.engagement.features import TRAINING_MEANS
from klantreis.engagement.model import FEATURE_COLUMNS, read_labelled_csv
from klantreis.engagement.settings_dynamo_store import DynamoEngagementSettingsStore
from klantreis.journey.dynamo_store import DynamoSessionStore
from klantreis.sites import Site
from klantreis_local.runtime import StreamPump
from tests.factories import T0, anna_journey, batch, event, load_operator_script
from tests.integration.test_pagestats import post


def load_script() -> Any:
    return load_operator_script("export_sessions")


@pytest.fixture
def tracked(demo_site: Site, stream: StreamPump) -> None:
    post(batch(*anna_journey()))
    post(batch(event("purchase", at=T0 + timedelta(minutes=5), value=296.96)))
    post(batch(event("page_view", url="https://shop.example/laarzen"), visitor_id="bram", session_id="s-2"))
    post(
        batch(
            event("page_view", url="https://shop.example/over-ons"),
            event("product_view", at=T0 + timedelta(seconds=45), product_id="b-40", value=89.0),
            visitor_id="carla",
            session_id="s-3",
        )
    )
    stream.drain()


def export(dynamodb: Any, table_name: str, out: Path, *extra: str) -> int:
    code: int = load_script().main(
        ["--table", table_name, "--site-id", "demo", "--out", str(out), *extra], dynamodb=dynamodb
    )
    return code


@pytest.mark.usefixtures("tracked")
def test_tracked_sessions_become_labelled_training_rows(
    dynamodb: Any, table_name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # when the operator exports the site's sessions
    out = tmp_path / "sessions.csv"
    assert export(dynamodb, table_name, out) == 0
    assert "3 sessions (1 bought), 0 left out" in capsys.readouterr().err
    # then the trainer's reader takes every row, with the UCI header and Revenue as the label
    text = out.read_text()
    assert text.splitlines()[0].split(",") == [*FEATURE_COLUMNS, "Revenue"]
    sessions, labels = read_labelled_csv(text.splitlines(keepends=True))
    assert sorted(labels) == [False, False, True]
    anna = sessions[labels.index(True)]
    (bram,) = [s for s, bought in zip(sessions, labels, strict=True) if not bought and not s.informational]
    # Anna: /laarzen and the boot's page three times, two checkout pages; her pages carry value
    assert anna.product_related == 4
    assert anna.page_values > 0
    assert anna.operating_systems is None
    # Month and Weekend come from each session's first activity in the site's time zone
    stored = DynamoSessionStore(dynamodb, table_name).get("demo", "anna", "s-1")
    assert stored is not None
    local = stored.first_at.astimezone(Site(site_id="demo", name="Demo").zone)
    assert anna.month == ("June" if local.month == 6 else local.strftime("%b"))
    assert anna.weekend == (local.weekday() >= 5)
    # Bram saw /laarzen only: its history is two entrances (Anna, Bram), one bounce, one exit in two,
    # on the training scale: against the site's pooled 1/3 bounce and 3/7 exit rates (docs/model.md)
    assert bram.product_related == 1
    assert bram.bounce_rates == pytest.approx(0.5 / (1 / 3) * TRAINING_MEANS["bounce_rate"], abs=1e-6)
    assert bram.exit_rates == pytest.approx(0.5 / (3 / 7) * TRAINING_MEANS["exit_rate"], abs=1e-6)


@pytest.mark.usefixtures("tracked")
def test_the_date_range_selects_by_first_activity(dynamodb: Any, table_name: str, tmp_path: Path) -> None:
    stored = DynamoSessionStore(dynamodb, table_name).get("demo", "anna", "s-1")
    assert stored is not None
    day = stored.first_at.astimezone(Site(site_id="demo", name="Demo").zone).date()
    out = tmp_path / "sessions.csv"
    assert export(dynamodb, table_name, out, "--from", day.isoformat(), "--to", day.isoformat()) == 0
    assert len(out.read_text().splitlines()) == 4
    earlier = (day - timedelta(days=2)).isoformat()
    assert export(dynamodb, table_name, out, "--from", earlier, "--to", earlier) == 0
    assert out.read_text().splitlines() == [",".join([*FEATURE_COLUMNS, "Revenue"])]


def test_an_unknown_site_is_an_error(dynamodb: Any, table_name: str, tmp_path: Path) -> None:
    assert export(dynamodb, table_name, tmp_path / "x.csv") == 1


@pytest.mark.usefixtures("tracked")
def test_special_days_come_from_the_site_calendar(dynamodb: Any, table_name: str, tmp_path: Path) -> None:
    # given a site whose special day is a week after its sessions (closeness peaks then)
    stored = DynamoSessionStore(dynamodb, table_name).get("demo", "anna", "s-1")
    assert stored is not None
    day = stored.first_at.astimezone(Site(site_id="demo", name="Demo").zone).date()
    settings = DynamoEngagementSettingsStore(dynamodb, table_name)
    config = settings.get_config("demo") or EngagementConfig()
    settings.put_config("demo", config.model_copy(update={"special_days": [day + timedelta(days=7)]}))
    # when its sessions of that day are exported
    out = tmp_path / "sessions.csv"
    assert export(dynamodb, table_name, out, "--from", day.isoformat(), "--to", day.isoformat()) == 0
    # then each row is as close to a special day as the data's scale goes
    sessions, _ = read_labelled_csv(out.read_text().splitlines(keepends=True))
    assert [s.special_day for s in sessions] == [1.0, 1.0, 1.0]
