"""Every key value of the single table is built here, one function per key.

Prefixes name the entity (``USER#``, ``SESSION#``...). Sort keys that order by time
start with an ISO-8601 UTC timestamp or a ULID, both of which sort as strings.
``docs/access-patterns.md`` lists each access pattern against these keys.
"""

from __future__ import annotations


def _k(*parts: str) -> str:
    return "#".join(parts)


# --- users and identity
def user(user_id: str) -> str:
    return _k("USER", user_id)


def email(address: str) -> str:
    """Uniqueness item for an email address (case-insensitive)."""
    return _k("EMAIL", address.strip().lower())


# --- rate limits
def rate_window(scope: str, subject: str) -> str:
    return _k("RATE", scope, subject)


# --- audit log
def audit_day(day: str) -> str:
    return _k("AUDIT", day)


def audit_actor(actor_id: str) -> str:
    return _k("AUDIT_ACTOR", actor_id)


def audit_resource(resource_type: str, resource_id: str) -> str:
    return _k("AUDIT_RES", resource_type, resource_id)


def audit_action(action: str) -> str:
    return _k("AUDIT_ACTION", action)


def audit_stats(day: str) -> str:
    return _k("AUDIT_STATS", day)


# --- identity (users, sessions, codes, api keys, addresses)
USERS_ALL = "USERS"


def users_by_role(role: str) -> str:
    return _k("USERS", role)


USERS_BY_NAME = "USERNAME"
USERS_BY_EMAIL = "USEREMAIL"
PROFILE = "PROFILE"
SETTINGS = "SETTINGS"


def created_sort(created_iso: str, entity_id: str) -> str:
    return _k("C", created_iso, entity_id)


def name_sort(name: str, entity_id: str) -> str:
    return _k(name.strip().lower(), entity_id)


def one_time_code(purpose: str) -> str:
    return _k("CODE", purpose)


def session(session_id: str) -> str:
    return _k("SESSION", session_id)


def user_sessions(user_id: str) -> str:
    return _k("USER", user_id, "SESSIONS")


def reset_token(token_hash: str) -> str:
    return _k("RESET", token_hash)


def api_key(key_hash: str) -> str:
    return _k("APIKEY", key_hash)


def user_api_keys(user_id: str) -> str:
    return _k("USER", user_id, "APIKEYS")


def address(address_id: str) -> str:
    return _k("ADDRESS", address_id)


ADDRESS_PREFIX = "ADDRESS#"


def oauth_state(state: str) -> str:
    return _k("OAUTH", state)


def oauth_identity(provider: str, subject: str) -> str:
    return _k("OAUTHID", provider, subject)
