"""The operator's widget publisher against moto's S3 and CloudFront: a release lands under its
immutable version path and the major alias, the alias is invalidated, and a published version is
never overwritten with other bytes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.factories import load_operator_script
from tests.integration.widget_bucket import BUCKET, clients, distribution_id

__all__ = ["clients", "distribution_id"]  # the fixtures, imported for pytest


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    (tmp_path / "klantreis.js").write_text("/* tracker 1 */")
    (tmp_path / "klantreis-chat.js").write_text("/* chat 1 */")
    return tmp_path


def run(clients: dict[str, Any], distribution_id: str, dist: Path, version: str) -> int:
    script = load_operator_script("publish_widget")
    argv = [
        "--bucket",
        BUCKET,
        "--distribution-id",
        distribution_id,
        "--version",
        version,
        "--dist",
        str(dist),
    ]
    code: int = script.main(argv, clients=clients)
    return code


def test_a_release_goes_to_its_version_and_the_major_alias(
    clients: dict[str, Any], distribution_id: str, dist: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # when release 1.4.0 is published
    assert run(clients, distribution_id, dist, "1.4.0") == 0
    # then its files are under the version (cached a year) and under v1 (cached 5 minutes)
    s3 = clients["s3"]
    pinned = s3.get_object(Bucket=BUCKET, Key="widget/1.4.0/klantreis.js")
    alias = s3.get_object(Bucket=BUCKET, Key="widget/v1/klantreis-chat.js")
    assert (pinned["CacheControl"], pinned["ContentType"]) == (
        "public, max-age=31536000, immutable",
        "text/javascript; charset=utf-8",
    )
    assert (alias["CacheControl"], alias["Body"].read()) == ("public, max-age=300", b"/* chat 1 */")
    # and the alias path is invalidated, and the snippet names it
    [invalidation] = clients["cloudfront"].list_invalidations(DistributionId=distribution_id)[
        "InvalidationList"
    ]["Items"]
    assert invalidation["Status"]
    out = capsys.readouterr().out
    assert "/widget/v1/klantreis.js" in out
    assert 'data-site-key="<site key>"' in out


def test_a_published_version_is_never_overwritten(
    clients: dict[str, Any], distribution_id: str, dist: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(clients, distribution_id, dist, "1.4.0") == 0
    # publishing the same bytes again is a harmless retry
    assert run(clients, distribution_id, dist, "1.4.0") == 0
    # other bytes under the same version are refused, and the alias stays as it was
    (dist / "klantreis.js").write_text("/* tracker 2 */")
    assert run(clients, distribution_id, dist, "1.4.0") == 1
    assert "new version" in capsys.readouterr().err
    alias = clients["s3"].get_object(Bucket=BUCKET, Key="widget/v1/klantreis.js")
    assert alias["Body"].read() == b"/* tracker 1 */"


@pytest.mark.parametrize("version", ["1.4", "latest", "v1.4.0"])
def test_a_version_must_be_semantic(
    clients: dict[str, Any], distribution_id: str, dist: Path, version: str
) -> None:
    assert run(clients, distribution_id, dist, version) == 1


def test_nothing_is_published_without_built_files(
    clients: dict[str, Any], distribution_id: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(clients, distribution_id, tmp_path, "1.4.0") == 1
    assert "make web" in capsys.readouterr().err
