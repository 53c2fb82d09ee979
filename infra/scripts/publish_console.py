"""Operator tool: publish the built console (web/dist/console, `make web`) to the stack's
CloudFront, next to the widget, with its config.json.

    make web
    python infra/scripts/publish_console.py --stack klantreis-prod

The files go to `console/` of the widget bucket (the stack's WidgetBucketName output), cached 5
minutes, and `/console/*` is invalidated on CloudFront (WidgetDistributionId) right away; the
console is then at the stack's ConsoleUrl output. config.json names the API (ApiUrl) and the
Cognito sign-in (UserPoolId, UserPoolClientId, the stack's region), which the console's sign-in
provider for `cognito` reads (web/console/src/auth/). Credentials and region from the usual AWS
configuration; --bucket, --distribution-id, --api-url, --user-pool-id and --client-id instead of
--stack skip reading the stack.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, NamedTuple

from botocore.exceptions import ClientError

# The widget's publisher is this script's sibling (scripts are not a package): its stack and
# CloudFront helpers serve both.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from publish_widget import invalidate, stack_outputs

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "web" / "dist" / "console"
FILES = {
    "index.html": "text/html; charset=utf-8",
    "console.js": "text/javascript; charset=utf-8",
    "console.css": "text/css; charset=utf-8",
    "icon.svg": "image/svg+xml",
}
CONFIG = "config.json"
CACHE = "public, max-age=300"
"""The console's files keep their names from release to release: a short cache, invalidated on publish."""
OUTPUTS = ("WidgetBucketName", "WidgetDistributionId", "ApiUrl", "UserPoolId", "UserPoolClientId")


class Target(NamedTuple):
    bucket: str
    distribution_id: str
    api_url: str
    region: str
    user_pool_id: str
    client_id: str


def target_of_stack(cloudformation: Any, stack: str) -> Target:
    outputs = stack_outputs(cloudformation, stack, OUTPUTS)
    return Target(
        bucket=outputs["WidgetBucketName"],
        distribution_id=outputs["WidgetDistributionId"],
        api_url=outputs["ApiUrl"],
        region=outputs["UserPoolId"].split("_", 1)[0],
        user_pool_id=outputs["UserPoolId"],
        client_id=outputs["UserPoolClientId"],
    )


def console_config(target: Target) -> dict[str, Any]:
    """What the deployed console reads at start (web/console/src/config.ts)."""
    return {
        "api": target.api_url.rstrip("/"),
        "auth": {
            "kind": "cognito",
            "region": target.region,
            "user_pool_id": target.user_pool_id,
            "client_id": target.client_id,
        },
    }


def publish(s3: Any, cloudfront: Any, target: Target, dist: Path = DIST) -> dict[str, Any]:
    """Uploads the console and its config.json and invalidates `/console/*`; returns what was done."""
    bodies = {}
    for name in FILES:
        path = dist / name
        if not path.is_file():
            raise ValueError(f"{path} is missing: run `make web` first")
        bodies[name] = path.read_bytes()
    for name, body in bodies.items():
        s3.put_object(
            Bucket=target.bucket,
            Key=f"console/{name}",
            Body=body,
            ContentType=FILES[name],
            CacheControl=CACHE,
        )
    s3.put_object(
        Bucket=target.bucket,
        Key=f"console/{CONFIG}",
        Body=json.dumps(console_config(target), indent=2).encode(),
        ContentType="application/json",
        CacheControl="no-cache",
    )
    invalidation = invalidate(cloudfront, target.distribution_id, "/console/*", "publish-console")
    return {"files": [f"console/{name}" for name in (*FILES, CONFIG)], "invalidation_id": invalidation}


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="publish_console.py", description=(__doc__ or "").split("\n\n")[0])
    root.add_argument(
        "--stack", help="the stack whose outputs name the bucket, distribution, API and user pool"
    )
    root.add_argument("--bucket", help="the widget bucket (instead of --stack)")
    root.add_argument("--distribution-id", help="the widget distribution (instead of --stack)")
    root.add_argument("--api-url", help="the API's base URL, the ApiUrl output (instead of --stack)")
    root.add_argument("--user-pool-id", help="the Cognito user pool (instead of --stack)")
    root.add_argument("--client-id", help="the user pool's app client (instead of --stack)")
    root.add_argument("--dist", type=Path, default=DIST, help="the built console (default: web/dist/console)")
    return root


def main(argv: list[str] | None = None, clients: dict[str, Any] | None = None) -> int:
    args = parser().parse_args(argv)
    explicit = (args.bucket, args.distribution_id, args.api_url, args.user_pool_id, args.client_id)
    if not args.stack and not all(explicit):
        print(
            "error: give --stack, or --bucket, --distribution-id, --api-url, --user-pool-id and --client-id",
            file=sys.stderr,
        )
        return 2
    if clients is None:
        import boto3

        clients = {name: boto3.client(name) for name in ("s3", "cloudfront", "cloudformation")}
    try:
        target = (
            target_of_stack(clients["cloudformation"], args.stack)
            if args.stack
            else Target(
                bucket=args.bucket,
                distribution_id=args.distribution_id,
                api_url=args.api_url,
                region=args.user_pool_id.split("_", 1)[0],
                user_pool_id=args.user_pool_id,
                client_id=args.client_id,
            )
        )
        done = publish(clients["s3"], clients["cloudfront"], target, args.dist)
    except (ValueError, ClientError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"published {', '.join(done['files'])}")
    print(f"invalidation {done['invalidation_id']} of /console/*")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
