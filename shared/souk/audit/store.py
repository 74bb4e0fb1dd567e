"""The audit log's writes: a record item, put in the mutation's own transaction or saved alone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from souk.audit import keys
from souk.audit.models import AuditRecord
from souk.caller import Actor
from souk.context import current_request_id
from souk.db.transactions import WriteTransaction
from souk.ids import new_id


def new_record(actor: Actor, action: str, resource_type: str, resource_id: str, *, before: dict[str, Any] | None,
               after: dict[str, Any] | None) -> AuditRecord:  # fmt: skip
    """The record item (not written), findable by time, actor, resource and action."""
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
        before=before,
        after=after,
    )


def write(item: AuditRecord, tx: WriteTransaction | None) -> None:
    """Add ``item`` to ``tx`` when given (atomic with it), else save it now."""
    if tx is not None:
        tx.put(item, label=f"audit:{item.action}")
    else:
        item.save()
