"""Operator tool: publish the built console (web/dist/console, `make web`) to the stack's
CloudFront, next to the widget, with its config.json.

    make web
    python infra/scripts/publish_console.py --stack klantreis-prod

The files go to `console/` of the widget bucket (the stack's WidgetBucketName output), cached 5
minutes, and `/console/*` is invalidated on CloudFront (WidgetDistributionId) right away; the
console is then at the stack's ConsoleUrl output. config.json (never cached) is written from the
stack's outputs in the shape the console reads (web/console/src/config.ts): the API (ApiUrl) and
Cognito's hosted UI for the sign-in with the authorization-code flow and PKCE,
`{"api": ApiUrl, "auth": {"kind": "cognito", "domain": "https://" + CognitoDomain,
"client_id": UserPoolClientId, "redirect_uri": ConsoleUrl}}`; each user's site is their token's.
Credentials and region from the usual AWS configuration; --bucket, --distribution-id, --api-url,
--cognito-domain, --client-id and --console-url instead of --stack skip reading the stack.
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
from publish_widget import add_target_options, aws_clients, invalidate, stack_outputs

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
OUTPUTS = (
    "WidgetBucketName",
    "WidgetDistributionId",
    "ApiUrl",
    "CognitoDomain",
    "UserPoolClientId",
    "ConsoleUrl",
)


class Target(NamedTuple):
    bucket: str
    distribution_id: str
    api_url: str
    cognito_domain: str
    """The hosted UI's host (`klantreis-prod-123.auth.eu-west-1.amazoncognito.com`) or origin."""
    client_id: str
    console_url: str
    """Where the console is served: the app client's callback and sign-out URL."""


def target_of_stack(cloudformation: Any, stack: str) -> Target:
    outputs = stack_outputs(cloudformation, stack, OUTPUTS)
    return Target(
        bucket=outputs["WidgetBucketName"],
        distribution_id=outputs["WidgetDistributionId"],
        api_url=outputs["ApiUrl"],
        cognito_domain=outputs["CognitoDomain"],
        client_id=outputs["UserPoolClientId"],
        console_url=outputs["ConsoleUrl"],
    )


def console_config(target: Target) -> dict[str, Any]:
    """What the deployed console reads at start (web/console/src/config.ts, auth/cognito.tsx)."""
    domain = target.cognito_domain.rstrip("/")
    return {
        "api": target.api_url.rstrip("/"),
        "auth": {
            "kind": "cognito",
            "domain": domain if domain.startswith("https://") else f"https://{domain}",
            "client_id": target.client_id,
            "redirect_uri": target.console_url,
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
    config = console_config(target)
    s3.put_object(
        Bucket=target.bucket,
        Key=f"console/{CONFIG}",
        Body=json.dumps(config, indent=2).encode(),
        ContentType="application/json",
        CacheControl="no-cache",
    )
    invalidation = invalidate(cloudfront, target.distribution_id, "/console/*", "publish-console")
    return {
        "files": [f"console/{name}" for name in (*FILES, CONFIG)],
        "config": config,
        "invalidation_id": invalidation,
    }


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="publish_console.py", description=(__doc__ or "").split("\n\n")[0])
    add_target_options(root, "the stack whose outputs name the bucket, API and sign-in")
    root.add_argument("--api-url", help="the API's base URL, the ApiUrl output (instead of --stack)")
    root.add_argument("--cognito-domain", help="the hosted UI's domain, the CognitoDomain output")
    root.add_argument("--client-id", help="the console's app client, the UserPoolClientId output")
    root.add_argument("--console-url", help="the console's URL, the ConsoleUrl output (instead of --stack)")
    root.add_argument("--dist", type=Path, default=DIST, help="the built console (default: web/dist/console)")
    return root


def main(argv: list[str] | None = None, clients: dict[str, Any] | None = None) -> int:
    args = parser().parse_args(argv)
    named = (
        args.bucket,
        args.distribution_id,
        args.api_url,
        args.cognito_domain,
        args.client_id,
        args.console_url,
    )
    if not args.stack and not all(named):
        print(
            "error: give --stack, or --bucket, --distribution-id, --api-url, --cognito-domain, --client-id "
            "and --console-url",
            file=sys.stderr,
        )
        return 2
    if clients is None:
        clients = aws_clients()
    try:
        target = target_of_stack(clients["cloudformation"], args.stack) if args.stack else Target(*named)
        done = publish(clients["s3"], clients["cloudfront"], target, args.dist)
    except (ValueError, ClientError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"published {', '.join(done['files'])}")
    print(f"invalidation {done['invalidation_id']} of /console/*")
    print(f"config.json: {json.dumps(done['config'])}")
    print(f"\nThe console: {target.console_url}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
