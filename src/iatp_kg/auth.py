"""Who may write: a bearer token equal to the IATP_KG_ADMIN_TOKEN setting."""

from __future__ import annotations

import hmac

from iatp_kg.errors import Forbidden, Unauthorized
from iatp_kg.settings import Settings


def require_admin(settings: Settings, authorization: str | None) -> None:
    """403 when writes are disabled (no token configured); 401 for a missing or wrong token."""
    if settings.admin_token is None or not settings.admin_token.get_secret_value():
        raise Forbidden("writes are disabled on this server (IATP_KG_ADMIN_TOKEN is not set)")
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("this route needs 'Authorization: Bearer <token>'")
    if not hmac.compare_digest(token.strip(), settings.admin_token.get_secret_value()):
        raise Unauthorized("the bearer token is not valid")
