"""A site's own model: stored validated, used by decide instead of the default, removable."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from klantreis.engagement.model import default_model, parse_model
from klantreis.engagement.site_models import SiteModels
from tests.factories import constant_model, load_operator_script
from tests.fakes import InMemorySiteModelStore


def test_a_site_without_its_own_model_gets_the_default_and_reads_are_cached() -> None:
    own = parse_model(constant_model(3.0))
    store = InMemorySiteModelStore({"shop-a": own})
    now = [0.0]
    models = SiteModels(store, default_model(), ttl_seconds=300, clock=lambda: now[0])
    assert models.for_site("shop-a") is own
    assert models.for_site("shop-b") is default_model()
    assert models.for_site("shop-a") is own
    assert store.reads == 2
    store.delete("shop-a")
    now[0] = 301
    assert models.for_site("shop-a") is default_model()


def load_script() -> Any:
    return load_operator_script("site_model")


def test_the_operator_script(
    dynamodb: Any, table_name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = load_script()
    model_file = tmp_path / "model.json"
    model_file.write_bytes(constant_model(1.0))
    assert (
        script.main(["--table", table_name, "put", "--site-id", "demo", "--model", str(model_file)], dynamodb)
        == 0
    )
    assert json.loads(capsys.readouterr().out)["trees"] == 1
    assert script.main(["--table", table_name, "show", "--site-id", "demo"], dynamodb) == 0
    assert json.loads(capsys.readouterr().out)["threshold"] == 0.5
    assert script.main(["--table", table_name, "remove", "--site-id", "demo"], dynamodb) == 0
    assert json.loads(capsys.readouterr().out)["removed"] is True
    broken = tmp_path / "broken.json"
    broken.write_text("not json")
    assert (
        script.main(["--table", table_name, "put", "--site-id", "demo", "--model", str(broken)], dynamodb)
        == 1
    )
    assert capsys.readouterr().err.startswith("error:")
