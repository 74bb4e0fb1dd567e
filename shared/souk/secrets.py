"""Secrets: from the environment locally, from Powertools Parameters (cached) in AWS."""

from __future__ import annotations

import hashlib
import json

from souk.settings import get_settings

_CACHE_SECONDS = 300


def _from_parameters(name: str) -> str:
    # Deferred for cold start: only deployed functions that need a secret pay for it.
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


def oauth_client(provider: str) -> tuple[str, str] | None:
    """``(client_id, client_secret)`` of an OAuth provider, or None when it is not configured.

    Environment values win (local, tests); else the ``OAUTH_SECRET_NAME`` JSON secret,
    ``{"google": {"clientId": "...", "clientSecret": "..."}, "github": {...}}``.
    """
    settings = get_settings()
    client_id = getattr(settings, f"oauth_{provider}_client_id", None)
    client_secret = getattr(settings, f"oauth_{provider}_client_secret", None)
    if client_id and client_secret:
        return client_id, client_secret
    if settings.oauth_secret_name:
        entry = json.loads(_from_parameters(settings.oauth_secret_name)).get(provider) or {}
        if entry.get("clientId") and entry.get("clientSecret"):
            return str(entry["clientId"]), str(entry["clientSecret"])
    return None


def stripe_keys() -> tuple[str, str]:
    """``(secret_key, webhook_secret)`` for Stripe: environment values (local, tests) or the secret."""
    settings = get_settings()
    if settings.stripe_secret_key and settings.stripe_webhook_secret:
        return settings.stripe_secret_key, settings.stripe_webhook_secret
    if settings.stripe_secret_name:
        entry = json.loads(_from_parameters(settings.stripe_secret_name))
        return str(entry["secretKey"]), str(entry["webhookSecret"])
    raise RuntimeError("STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET, or STRIPE_SECRET_NAME, must be set")
