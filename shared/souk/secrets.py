"""Secrets: from the environment locally, from Powertools Parameters (cached) in AWS."""

from __future__ import annotations

import hashlib

from souk.settings import get_settings

_CACHE_SECONDS = 300


def _from_parameters(name: str) -> str:
    # Imported lazily: only deployed functions that need a secret pay for it.
    from aws_lambda_powertools.utilities import parameters

    return str(parameters.get_secret(name, max_age=_CACHE_SECONDS))


def jwt_key() -> str:
    """The HMAC key for access tokens."""
    settings = get_settings()
    if settings.jwt_secret:
        return settings.jwt_secret
    if settings.jwt_secret_name:
        return _from_parameters(settings.jwt_secret_name)
    if settings.is_local:
        return "souk-local-jwt-secret-change-me-0123456789"
    raise RuntimeError("JWT_SECRET or JWT_SECRET_NAME must be set outside local stages")


def cursor_key() -> bytes:
    """The HMAC key for pagination cursors: its own value, or derived from the JWT key."""
    settings = get_settings()
    if settings.cursor_secret:
        return settings.cursor_secret.encode()
    return hashlib.sha256(b"souk-cursor:" + jwt_key().encode()).digest()
