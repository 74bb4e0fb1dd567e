"""Secrets handed to clients (refresh tokens, codes, API keys) and how they are stored: hashed."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from souk.secrets import jwt_key


def random_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def random_code(digits: int = 6) -> str:
    return f"{secrets.randbelow(10**digits):0{digits}d}"


def token_hash(value: str) -> str:
    """SHA-256 of a high-entropy secret (refresh tokens, API keys, reset tokens)."""
    return hashlib.sha256(value.encode()).hexdigest()


def code_hash(subject: str, code: str) -> str:
    """Keyed hash of a low-entropy code: without the server key, the table alone cannot brute-force it."""
    return hmac.new(jwt_key().encode(), f"{subject}:{code}".encode(), hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a, b)
