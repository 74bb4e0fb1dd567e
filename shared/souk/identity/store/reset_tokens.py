"""Password reset tokens in the table: keyed by the token's SHA-256, never the token itself."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from pynamodb.exceptions import DoesNotExist

from souk.db import expiry
from souk.db.transactions import WriteTransaction
from souk.identity import keys
from souk.identity.models import ResetToken

if TYPE_CHECKING:
    from souk.audit.models import AuditRecord


def new_reset_token(hashed: str, user_id: str, *, now: datetime, minutes: int, password_stamp: str) -> ResetToken:
    """The item of a token valid for ``minutes`` from ``now`` (not saved)."""
    valid_until = now + timedelta(minutes=minutes)
    return ResetToken(
        pk=keys.reset_token(hashed),
        sk=keys.reset_token(hashed),
        **expiry.index_keys(valid_until, keys.reset_token(hashed)),  # removed promptly by the cleanup job
        user_id=user_id,
        valid_until=valid_until,
        expires_at=now + timedelta(minutes=minutes),  # TTL: nothing to keep once it is useless
        password_stamp=password_stamp,
    )


def save_reset_token(item: ResetToken, record: AuditRecord) -> None:
    """Save a new token with its audit record, in one transaction."""
    with WriteTransaction() as tx:
        tx.put(item, ResetToken.pk.does_not_exist(), label="token")
        tx.put(record, label=f"audit:{record.action}")


def load_reset_token(hashed: str) -> ResetToken | None:
    try:
        return ResetToken.get(keys.reset_token(hashed), keys.reset_token(hashed), consistent_read=True)
    except DoesNotExist:
        return None
