"""The audit log's writes: a record item, put in the mutation's own transaction or saved alone,
then counted in its day's counters once written (:mod:`souk.audit.counters`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from souk.audit import keys
from souk.audit.models import AuditRecord
from souk.caller import Actor
from souk.context import current_request_id
from souk.db.transactions import WriteTransaction
from souk.ids import new_id

# How long a record is kept (DynamoDB TTL deletes it after): a year and a month, so a yearly
# review (an annual audit, a year-over-year comparison) still finds the same month a year ago.
RETENTION = timedelta(days=400)


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
        expires_at=now + RETENTION,
    )


def write(item: AuditRecord, tx: WriteTransaction | None) -> None:
    """Add ``item`` to ``tx`` when given (atomic with it), else save it now; counted once written."""
    if tx is not None:
        tx.put(item, label=f"audit:{item.action}")  # counted by item.on_committed once it commits
    else:
        item.save()
        item.on_committed()
