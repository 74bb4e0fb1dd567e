"""One-time codes in the table: 6 digits, stored as a keyed hash, 10 minutes, 5 attempts."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

from pynamodb.exceptions import DoesNotExist, UpdateError

from souk.db import expiry
from souk.identity import keys, tokens
from souk.identity.models import OneTimeCode

CODE_MINUTES = 10
MAX_ATTEMPTS = 5


def code_hash(user_id: str, purpose: str, code: str) -> str:
    return tokens.code_hash(f"{user_id}:{purpose}", code)


def new_code(user_id: str, purpose: str) -> tuple[str, OneTimeCode]:
    """A fresh code and its item (not saved: callers add it to their transaction, or :func:`save` it)."""
    code = tokens.random_code()
    valid_until = datetime.now(UTC) + timedelta(minutes=CODE_MINUTES)
    item = OneTimeCode(
        pk=keys.user(user_id),
        sk=keys.one_time_code(purpose),
        **expiry.index_keys(valid_until, keys.user(user_id)),  # removed promptly by the cleanup job
        code_hash=code_hash(user_id, purpose, code),
        attempts=0,
        max_attempts=MAX_ATTEMPTS,
        valid_until=valid_until,
        expires_at=valid_until + timedelta(hours=1),
    )
    return code, item


def save(item: OneTimeCode) -> None:
    """Save a code, replacing the previous one of its purpose: only the newest one works."""
    item.save()


def load_code(user_id: str, purpose: str) -> OneTimeCode | None:
    """The user's code for ``purpose`` (one consistent GetItem), live or not."""
    try:
        return OneTimeCode.get(keys.user(user_id), keys.one_time_code(purpose), consistent_read=True)
    except DoesNotExist:
        return None


def burn_attempt(item: OneTimeCode) -> None:
    """Count a wrong guess, atomically: parallel guesses cannot exceed the attempt budget."""
    with contextlib.suppress(UpdateError):
        item.update(actions=[OneTimeCode.attempts.add(1)], condition=OneTimeCode.attempts < item.max_attempts)
