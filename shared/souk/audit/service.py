"""Writing audit records, inside the mutation's own transaction where there is one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from souk.audit.models import AuditRecord
from souk.caller import Actor
from souk.context import current_request_id
from souk.db import keys
from souk.db.transactions import WriteTransaction
from souk.ids import new_id

__all__ = ["SYSTEM", "Actor", "build_record", "record"]

# Fields never copied into before/after snapshots.
_REDACTED = frozenset({"password", "passwordHash", "password_hash", "secret", "totpSecret", "codeHash", "tokenHash"})


# Schedules and workers.
SYSTEM = Actor(user_id="system", role="system")


def _redact(snapshot: dict[str, Any] | None) -> dict[str, Any] | None:
    if snapshot is None:
        return None
    return {k: ("[redacted]" if k in _REDACTED else v) for k, v in snapshot.items()}


def build_record(
    actor: Actor,
    action: str,
    resource_type: str,
    resource_id: str,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditRecord:
    """An audit record ready to save (not saved)."""
    now = datetime.now(UTC)
    audit_id = new_id()
    stamp = f"{now.isoformat(timespec='milliseconds')}#{audit_id}"
    return AuditRecord(
        pk=keys.audit_day(now.date().isoformat()),
        sk=stamp,
        gsi1pk=keys.audit_actor(actor.user_id),
        gsi1sk=stamp,
        gsi2pk=keys.audit_resource(resource_type, resource_id),
        gsi2sk=stamp,
        gsi3pk=keys.audit_action(action),
        gsi3sk=stamp,
        audit_id=audit_id,
        actor_id=actor.user_id,
        actor_role=actor.role,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        ip=actor.ip,
        user_agent=(actor.user_agent or "")[:512] or None,
        request_id=current_request_id.get(),
        before=_redact(before),
        after=_redact(after),
    )


def record(actor: Actor, action: str, resource_type: str, resource_id: str, *,
           tx: WriteTransaction | None = None, before: dict[str, Any] | None = None,
           after: dict[str, Any] | None = None) -> AuditRecord:  # fmt: skip
    """Record a mutation: added to ``tx`` when given (atomic with it), else saved now."""
    item = build_record(actor, action, resource_type, resource_id, before=before, after=after)
    if tx is not None:
        tx.put(item, label=f"audit:{action}")
    else:
        item.save()
    return item
