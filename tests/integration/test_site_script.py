"""The operator's site script against moto: add a site, rotate its key, change origins."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from klantreis.sites import SiteDirectory
from klantreis.sites.dynamo_store import DynamoSiteStore
from tests.factories import load_operator_script


def load_script() -> Any:
    return load_operator_script("site")


@pytest.fixture
def script(dynamodb: Any, table_name: str, capsys: pytest.CaptureFixture[str]) -> Any:
    module = load_script()

    def run(*argv: str) -> tuple[int, Any]:
        code = module.main(["--table", table_name, *argv], dynamodb=dynamodb)
        out, err = capsys.readouterr()
        return code, json.loads(out) if code == 0 else err

    return run


def test_add_a_site_then_rotate_its_key(script: Any, dynamodb: Any, table_name: str) -> None:
    code, added = script(
        "add", "--site-id", "schoenen-nl", "--name", "Schoenen", "--origin", "https://www.schoenen.nl"
    )
    assert code == 0
    first_key = added["site_key"]
    store = DynamoSiteStore(dynamodb, table_name)
    directory = SiteDirectory(store, ttl_seconds=0)
    site = directory.site_for_key(first_key)
    assert site is not None
    assert site.allowed_origins == ["https://www.schoenen.nl"]

    code, issued = script("add-key", "--site-id", "schoenen-nl")
    assert code == 0
    assert directory.site_for_key(issued["site_key"]) == site
    assert script("revoke-key", "--key", first_key)[0] == 0
    assert directory.site_for_key(first_key) is None
    assert directory.site_for_key(issued["site_key"]) == site

    code, shown = script("show", "--site-id", "schoenen-nl")
    assert code == 0
    assert len(shown["keys"]) == 1
    assert "site_key" not in shown


def test_set_origins(script: Any) -> None:
    script("add", "--site-id", "s1", "--name", "S1")
    code, answer = script(
        "set-origins",
        "--site-id",
        "s1",
        "--origin",
        "https://S1.example/",
        "--origin",
        "http://localhost:8080",
    )
    assert code == 0
    assert answer["site"]["allowed_origins"] == ["https://s1.example", "http://localhost:8080"]


def test_page_types_from_a_file(script: Any, tmp_path: Path) -> None:
    rules = tmp_path / "pages.json"
    rules.write_text(json.dumps([{"pattern": "/klant*", "page_type": "administrative"}]))
    code, answer = script("add", "--site-id", "s2", "--name", "S2", "--page-types", str(rules))
    assert code == 0
    assert answer["site"]["page_types"] == [{"pattern": "/klant*", "page_type": "administrative"}]


@pytest.mark.parametrize(
    "argv",
    [
        ("add", "--site-id", "bad id", "--name", "X"),
        ("add", "--site-id", "s3", "--name", "X", "--timezone", "Nowhere/Else"),
        ("add", "--site-id", "s3", "--name", "X", "--origin", "not-an-origin"),
        ("add-key", "--site-id", "missing"),
        ("revoke-key", "--key", "never-issued"),
    ],
)
def test_mistakes_are_refused_with_a_message(script: Any, argv: tuple[str, ...]) -> None:
    code, err = script(*argv)
    assert code == 1
    assert err.startswith("error:")


def test_a_site_id_is_not_taken_twice(script: Any) -> None:
    assert script("add", "--site-id", "dup", "--name", "A")[0] == 0
    code, err = script("add", "--site-id", "dup", "--name", "B")
    assert code == 1
    assert "exists already" in err


def test_consent_mode_is_required_unless_the_operator_says_implied(script: Any) -> None:
    code, added = script("add", "--site-id", "s4", "--name", "S4")
    assert (code, added["site"]["consent_mode"]) == (0, "required")
    code, answer = script("set-consent-mode", "--site-id", "s4", "--mode", "implied")
    assert (code, answer["site"]["consent_mode"]) == (0, "implied")
    code, added = script("add", "--site-id", "s5", "--name", "S5", "--consent-mode", "implied")
    assert (code, added["site"]["consent_mode"]) == (0, "implied")
