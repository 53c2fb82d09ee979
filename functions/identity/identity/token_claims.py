"""Cognito pre-token-generation trigger: puts the user's `custom:site_id` and `custom:role`
into the ID token as `site_id` and `role`, the claim names the contract promises handlers.

Pure Python on purpose (no layer imports): it runs on every sign-in and token refresh.
"""

from __future__ import annotations

from typing import Any


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    attributes = event.get("request", {}).get("userAttributes", {})
    claims = {
        name: attributes[f"custom:{name}"] for name in ("site_id", "role") if attributes.get(f"custom:{name}")
    }
    event.setdefault("response", {})["claimsOverrideDetails"] = {"claimsToAddOrOverride": claims}
    return event
