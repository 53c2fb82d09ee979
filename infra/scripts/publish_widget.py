"""Operator tool: publish the built widget (web/dist, `make web`) to the stack's CloudFront.

    make web
    python infra/scripts/publish_widget.py --stack klantreis-prod --version 1.4.0

Each release goes to two places in the widget bucket (the stack's WidgetBucketName output):

- `widget/<version>/` — never overwritten (a changed file under a published version is refused),
  so browsers and CloudFront keep it a year (`Cache-Control: public, max-age=31536000, immutable`);
  shops that pin a version (for Subresource Integrity) embed this path.
- `widget/v<major>/` — the path the usual snippet embeds: replaced by every release of that major
  version, cached 5 minutes, and invalidated on CloudFront (WidgetDistributionId) right away.

The tracker loads its chat file from its own folder, so both files of a release always travel
together. Prints the snippet a shop pastes. Credentials and region from the usual AWS
configuration; --bucket and --distribution-id instead of --stack skip reading the stack.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import time
from pathlib import Path
from typing import Any, NamedTuple

from botocore.exceptions import ClientError

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "web" / "dist"
FILES = ("klantreis.js", "klantreis-chat.js")
"""The tracker (what the snippet loads) and the chat and survey it loads when needed."""
CONTENT_TYPE = "text/javascript; charset=utf-8"
IMMUTABLE = "public, max-age=31536000, immutable"
ALIAS = "public, max-age=300"
VERSION = re.compile(r"^(\d+)\.\d+\.\d+(?:-[0-9A-Za-z.]+)?$")


class Target(NamedTuple):
    bucket: str
    distribution_id: str
    base_url: str
    """`https://<distribution domain>/widget`."""


def stack_outputs(cloudformation: Any, stack: str, needed: tuple[str, ...]) -> dict[str, str]:
    """The stack's outputs; ValueError when one of `needed` is missing (an older template)."""
    outputs = {
        o["OutputKey"]: o["OutputValue"]
        for o in cloudformation.describe_stacks(StackName=stack)["Stacks"][0].get("Outputs", [])
    }
    missing = set(needed) - set(outputs)
    if missing:
        raise ValueError(f"stack {stack!r} has no outputs {sorted(missing)}: deploy the current template")
    return outputs


def invalidate(cloudfront: Any, distribution_id: str, path: str, reference: str) -> str:
    """Asks CloudFront to drop its copies under `path` (`/widget/v1/*`); returns the invalidation's id."""
    answer = cloudfront.create_invalidation(
        DistributionId=distribution_id,
        InvalidationBatch={
            "Paths": {"Quantity": 1, "Items": [path]},
            "CallerReference": f"{reference}-{time.time_ns()}",
        },
    )
    return str(answer["Invalidation"]["Id"])


def target_of_stack(cloudformation: Any, stack: str) -> Target:
    outputs = stack_outputs(
        cloudformation, stack, ("WidgetBucketName", "WidgetDistributionId", "WidgetBaseUrl")
    )
    return Target(outputs["WidgetBucketName"], outputs["WidgetDistributionId"], outputs["WidgetBaseUrl"])


def target_of_distribution(cloudfront: Any, bucket: str, distribution_id: str) -> Target:
    domain = cloudfront.get_distribution(Id=distribution_id)["Distribution"]["DomainName"]
    return Target(bucket, distribution_id, f"https://{domain}/widget")


def publish(s3: Any, cloudfront: Any, target: Target, version: str, dist: Path = DIST) -> dict[str, Any]:
    """Uploads the release and invalidates its major path; returns what was done."""
    match = VERSION.match(version)
    if not match:
        raise ValueError(f"version {version!r} is not semantic (1.4.0)")
    bodies = {}
    for name in FILES:
        path = dist / name
        if not path.is_file():
            raise ValueError(f"{path} is missing: run `make web` first")
        bodies[name] = path.read_bytes()
    alias = f"v{match.group(1)}"
    for name, body in bodies.items():
        _put_immutable(s3, target.bucket, f"widget/{version}/{name}", body)
    for name, body in bodies.items():
        s3.put_object(
            Bucket=target.bucket,
            Key=f"widget/{alias}/{name}",
            Body=body,
            ContentType=CONTENT_TYPE,
            CacheControl=ALIAS,
        )
    invalidation = invalidate(cloudfront, target.distribution_id, f"/widget/{alias}/*", f"publish-{version}")
    return {
        "version": version,
        "files": [f"widget/{version}/{name}" for name in FILES]
        + [f"widget/{alias}/{name}" for name in FILES],
        "invalidation_id": invalidation,
        "snippet": snippet(f"{target.base_url}/{alias}/klantreis.js"),
    }


def _put_immutable(s3: Any, bucket: str, key: str, body: bytes) -> None:
    """A published version's file is never replaced: the same bytes again are fine (a retried
    publish), other bytes are refused (browsers hold the old ones for a year)."""
    digest = hashlib.sha256(body).hexdigest()
    try:
        existing = s3.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NotFound"):
            raise
    else:
        if existing.get("Metadata", {}).get("sha256") != digest:
            raise ValueError(f"{key} is published with other content: give the release a new version")
        return
    s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=body,
        ContentType=CONTENT_TYPE,
        CacheControl=IMMUTABLE,
        Metadata={"sha256": digest},
    )


def snippet(script_url: str, site_key: str = "<site key>", api_url: str = "<ApiUrl output>") -> str:
    """What a shop pastes before `</head>` (docs/operations.md explains each attribute; under a
    strict CSP the first line goes into a file of the shop's own)."""
    return (
        "<script>window.klantreis=window.klantreis||function(){(klantreis.q=klantreis.q||[]).push(arguments)}"
        "</script>\n"
        f'<script async src="{script_url}"\n'
        f'        data-site-key="{site_key}" data-api="{api_url}"\n'
        '        data-consent="required" data-lang="nl"></script>'
    )


def add_target_options(root: argparse.ArgumentParser, stack_help: str) -> None:
    """The options both publishers share: the stack, or the widget bucket and distribution."""
    root.add_argument("--stack", help=stack_help)
    root.add_argument("--bucket", help="the widget bucket (instead of --stack)")
    root.add_argument("--distribution-id", help="the widget distribution (instead of --stack)")


def aws_clients() -> dict[str, Any]:
    import boto3

    return {name: boto3.client(name) for name in ("s3", "cloudfront", "cloudformation")}


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="publish_widget.py", description=(__doc__ or "").split("\n\n")[0])
    root.add_argument("--version", required=True, help="semantic version of this release, e.g. 1.4.0")
    add_target_options(root, "the stack whose Widget* outputs name the bucket and distribution")
    root.add_argument("--dist", type=Path, default=DIST, help="the built files (default: web/dist)")
    return root


def main(argv: list[str] | None = None, clients: dict[str, Any] | None = None) -> int:
    args = parser().parse_args(argv)
    if not args.stack and not (args.bucket and args.distribution_id):
        print("error: give --stack, or --bucket and --distribution-id", file=sys.stderr)
        return 2
    if clients is None:
        clients = aws_clients()
    try:
        target = (
            target_of_stack(clients["cloudformation"], args.stack)
            if args.stack
            else target_of_distribution(clients["cloudfront"], args.bucket, args.distribution_id)
        )
        done = publish(clients["s3"], clients["cloudfront"], target, args.version, args.dist)
    except (ValueError, ClientError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"published {done['version']}: {', '.join(done['files'])}")
    print(f"invalidation {done['invalidation_id']} of /widget/v{done['version'].split('.')[0]}/*")
    print("\nThe snippet a shop pastes before </head>:\n")
    print(done["snippet"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
