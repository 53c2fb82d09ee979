"""Operator tool: publish the built console (web/dist/console, `make web`) to the stack's CloudFront,
with the `config.json` that tells it where the API and the sign-in are.

    make web
    python infra/scripts/publish_console.py --stack klantreis-prod

The console lives in the widget bucket under `console/` and is served by the same distribution at
the stack's `ConsoleUrl` output (`https://<distribution>/console/`, Cognito's callback URL). Every
file is uploaded with `Cache-Control: no-cache` (browsers revalidate on each load, so a release shows
at once), then `/console/*` is invalidated on CloudFront.

`config.json` is written from the stack's outputs, in the shape the console's shell reads
(web/console/src/config.ts): `{"api": ApiUrl, "auth": {"kind": "cognito", "domain": "https://" +
CognitoDomain, "client_id": UserPoolClientId, "redirect_uri": ConsoleUrl}}`; the site is each
user's own (the token's `site_id`). Credentials and region from the usual AWS configuration.
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import sys
import time
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "web" / "dist" / "console"
PREFIX = "console"
NO_CACHE = "no-cache"
OUTPUTS = {
    "bucket": "WidgetBucketName",
    "distribution_id": "WidgetDistributionId",
    "api_url": "ApiUrl",
    "cognito_domain": "CognitoDomain",
    "client_id": "UserPoolClientId",
    "redirect_uri": "ConsoleUrl",
}
"""What the script needs, by the name of the stack output that holds it."""
CONTENT_TYPES = {".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8"}


def outputs_of_stack(cloudformation: Any, stack: str) -> dict[str, str]:
    """The stack's outputs this script needs, under their keys in OUTPUTS."""
    found = {
        o["OutputKey"]: o["OutputValue"]
        for o in cloudformation.describe_stacks(StackName=stack)["Stacks"][0].get("Outputs", [])
    }
    missing = sorted(set(OUTPUTS.values()) - set(found))
    if missing:
        raise ValueError(f"stack {stack!r} has no outputs {missing}: deploy the current template")
    return {key: found[output] for key, output in OUTPUTS.items()}


def console_config(outputs: dict[str, str]) -> dict[str, Any]:
    """The console's config.json: the API, and Cognito's hosted UI as an https origin."""
    domain = outputs["cognito_domain"]
    return {
        "api": outputs["api_url"].rstrip("/"),
        "auth": {
            "kind": "cognito",
            "domain": domain if domain.startswith("https://") else f"https://{domain}",
            "client_id": outputs["client_id"],
            "redirect_uri": outputs["redirect_uri"],
        },
    }


def content_type(path: Path) -> str:
    known = CONTENT_TYPES.get(path.suffix)
    if known:
        return known
    guessed, _ = mimetypes.guess_type(path.name)
    if guessed is None:
        return "application/octet-stream"
    return f"{guessed}; charset=utf-8" if guessed.startswith("text/") or guessed.endswith("json") else guessed


def publish(s3: Any, cloudfront: Any, outputs: dict[str, str], dist: Path = DIST) -> dict[str, Any]:
    """Uploads the built console and its config.json, invalidates /console/*; returns what was done."""
    if not (dist / "index.html").is_file():
        raise ValueError(f"{dist / 'index.html'} is missing: run `make web` first")
    files = sorted(p for p in dist.rglob("*") if p.is_file() and p.name != "config.json")
    keys = []
    for path in files:
        key = f"{PREFIX}/{path.relative_to(dist).as_posix()}"
        s3.put_object(
            Bucket=outputs["bucket"],
            Key=key,
            Body=path.read_bytes(),
            ContentType=content_type(path),
            CacheControl=NO_CACHE,
        )
        keys.append(key)
    config = console_config(outputs)
    s3.put_object(
        Bucket=outputs["bucket"],
        Key=f"{PREFIX}/config.json",
        Body=json.dumps(config, indent=2).encode(),
        ContentType="application/json; charset=utf-8",
        CacheControl=NO_CACHE,
    )
    keys.append(f"{PREFIX}/config.json")
    invalidation = cloudfront.create_invalidation(
        DistributionId=outputs["distribution_id"],
        InvalidationBatch={
            "Paths": {"Quantity": 1, "Items": [f"/{PREFIX}/*"]},
            "CallerReference": f"publish-console-{time.time_ns()}",
        },
    )["Invalidation"]["Id"]
    return {"files": keys, "config": config, "invalidation_id": invalidation}


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="publish_console.py", description=(__doc__ or "").split("\n\n")[0])
    root.add_argument("--stack", required=True, help="the stack whose outputs name bucket, API, sign-in")
    root.add_argument("--dist", type=Path, default=DIST, help="the built console (default: web/dist/console)")
    return root


def main(argv: list[str] | None = None, clients: dict[str, Any] | None = None) -> int:
    args = parser().parse_args(argv)
    if clients is None:
        import boto3

        clients = {name: boto3.client(name) for name in ("s3", "cloudfront", "cloudformation")}
    try:
        outputs = outputs_of_stack(clients["cloudformation"], args.stack)
        done = publish(clients["s3"], clients["cloudfront"], outputs, args.dist)
    except (ValueError, ClientError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"published {len(done['files'])} files: {', '.join(done['files'])}")
    print(f"invalidation {done['invalidation_id']} of /{PREFIX}/*")
    print(f"config.json: {json.dumps(done['config'])}")
    print(f"\nThe console: {outputs['redirect_uri']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
