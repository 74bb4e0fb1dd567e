"""Identity: the key values of its items (pk, sk and GSI keys), one function per key.

Beside :mod:`souk.identity.models`; ``docs/access-patterns.md`` lists the access patterns.
"""

from __future__ import annotations

from souk.db.keys import join


def user(user_id: str) -> str:
    return join("USER", user_id)


def email(address: str) -> str:
    """Uniqueness item for an email address (case-insensitive)."""
    return join("EMAIL", address.strip().lower())


USERS_ALL = "USERS"


def users_by_role(role: str) -> str:
    return join("USERS", role)


USERS_BY_NAME = "USERNAME"


USERS_BY_EMAIL = "USEREMAIL"


PROFILE = "PROFILE"


SETTINGS = "SETTINGS"


def one_time_code(purpose: str) -> str:
    return join("CODE", purpose)


def session(session_id: str) -> str:
    return join("SESSION", session_id)


def user_sessions(user_id: str) -> str:
    return join("USER", user_id, "SESSIONS")


def reset_token(token_hash: str) -> str:
    return join("RESET", token_hash)


def api_key(key_hash: str) -> str:
    return join("APIKEY", key_hash)


def user_api_keys(user_id: str) -> str:
    return join("USER", user_id, "APIKEYS")


def team_api_keys(team_id: str) -> str:
    """The active keys created for a team (gsi2), and the pk of the team's key counter."""
    return join("TEAM_APIKEYS", team_id)


def address(address_id: str) -> str:
    return join("ADDRESS", address_id)


ADDRESS_PREFIX = "ADDRESS#"


# Per-user counters kept next to the items they count (sort keys outside ADDRESS#/APIKEY#).
ADDRESS_BOOK = "ADDRESSBOOK"


API_KEY_RING = "APIKEYRING"


def oauth_state(state: str) -> str:
    return join("OAUTH", state)


def oauth_identity(provider: str, subject: str) -> str:
    return join("OAUTHID", provider, subject)
