"""Who is calling: a widget (site key + Origin) or an agent/operator (Cognito claims)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from klantreis.errors import Forbidden, Unauthorized
from klantreis.sites import Site, SiteDirectory, SiteId

Role = Literal["agent", "operator"]


class Principal(BaseModel):
    """An authenticated agent or operator of one site."""

    model_config = ConfigDict(frozen=True)

    sub: str
    site_id: SiteId
    role: Role

    def require(self, *roles: Role) -> Principal:
        if self.role not in roles:
            raise Forbidden(f"this needs the role {' or '.join(roles)}")
        return self

    def require_site(self, site_id: str) -> Principal:
        # Another site's resources answer as if they did not exist for reads elsewhere; for an
        # explicit site in the path, the tenant mismatch itself is the answer.
        if self.site_id != site_id:
            raise Forbidden("this belongs to another site")
        return self


def principal_from_claims(claims: Mapping[str, Any] | None) -> Principal:
    """Claims as API Gateway's Cognito authorizer (or the local stack) puts them in the request
    context. Cognito custom attributes arrive as `custom:site_id`/`custom:role` unless a
    pre-token trigger renames them; both spellings are accepted."""
    if not claims:
        raise Unauthorized("a bearer token is required")
    try:
        return Principal(
            sub=claims.get("sub") or "",
            site_id=claims.get("site_id") or claims.get("custom:site_id") or "",
            role=claims.get("role") or claims.get("custom:role") or "",
        )
    except ValidationError as exc:
        raise Unauthorized("the token does not name a site and role") from exc


def header(headers: Mapping[str, str] | None, name: str) -> str | None:
    if not headers:
        return None
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def authenticate_widget(directory: SiteDirectory, headers: Mapping[str, str] | None) -> Site:
    """The site of a widget request: `X-Site-Key` must be known (401) and a browser's `Origin`
    must be one of the site's allowed origins (403)."""
    site_key = header(headers, "X-Site-Key")
    if not site_key:
        raise Unauthorized("the X-Site-Key header is required")
    if len(site_key) > 200:
        raise Unauthorized("unknown site key")
    site = directory.site_for_key(site_key)
    if site is None:
        raise Unauthorized("unknown site key")
    origin = header(headers, "Origin")
    if not site.allows_origin(origin):
        raise Forbidden(f"origin {origin!r} is not allowed for this site")
    return site
