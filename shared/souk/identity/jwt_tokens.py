"""Signed tokens (pyjwt, HS256): access tokens bound to a session, purpose tokens for one step of a flow."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import jwt

from souk.errors import InvalidToken
from souk.secrets import jwt_key

ISSUER = "souk"
AUDIENCE = "souk-api"
ALGORITHM = "HS256"
ACCESS_TOKEN_SECONDS = 15 * 60
REQUIRED_CLAIMS = ["iss", "aud", "sub", "sid", "role", "exp", "iat", "jti"]


@dataclass(frozen=True)
class AccessClaims:
    user_id: str
    session_id: str
    role: str
    token_id: str
    expires_at: int


def issue_access_token(user_id: str, session_id: str, role: str, *, now: int | None = None) -> tuple[str, int]:
    """A signed access token and its lifetime in seconds."""
    issued = int(now if now is not None else time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": user_id,
        "sid": session_id,
        "role": role,
        "iat": issued,
        "exp": issued + ACCESS_TOKEN_SECONDS,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, jwt_key(), algorithm=ALGORITHM), ACCESS_TOKEN_SECONDS


def verify_access_token(token: str) -> AccessClaims:
    """The claims of a valid token; anything else (alg=none, bad signature, expired) is INVALID_TOKEN."""
    try:
        claims = jwt.decode(
            token,
            jwt_key(),
            algorithms=[ALGORITHM],  # pinned: never trust the header's alg
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.PyJWTError:
        raise InvalidToken() from None
    return AccessClaims(
        user_id=str(claims["sub"]),
        session_id=str(claims["sid"]),
        role=str(claims["role"]),
        token_id=str(claims["jti"]),
        expires_at=int(claims["exp"]),
    )


def issue_purpose_token(purpose: str, subject: str, ttl_seconds: int, **extra: str) -> str:
    """A short-lived signed token for one step of a flow (e.g. ``mfa`` between password and code)."""
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": f"{AUDIENCE}:{purpose}", "sub": subject, "iat": now, "exp": now + ttl_seconds,
              "jti": uuid.uuid4().hex, **extra}  # fmt: skip
    return jwt.encode(claims, jwt_key(), algorithm=ALGORITHM)


def verify_purpose_token(token: str, purpose: str) -> dict[str, str]:
    """The claims of a purpose token; a token minted for another purpose is INVALID_TOKEN."""
    try:
        return jwt.decode(token, jwt_key(), algorithms=[ALGORITHM], audience=f"{AUDIENCE}:{purpose}", issuer=ISSUER,
                          options={"require": ["sub", "exp", "iat", "jti"]})  # fmt: skip
    except jwt.PyJWTError:
        raise InvalidToken() from None
