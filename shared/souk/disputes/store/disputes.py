"""Disputes in the table: reads, the lists, and the transactions that open, answer and close them.

| pattern | call |
|---|---|
| a dispute with its messages | :func:`read_thread`: one Query of ``DISPUTE#<id>`` (the dispute sorts first) |
| one dispute | :func:`read_dispute`: GetItem |
| a customer's disputes | :func:`dispute_page` on gsi1 ``USER#<id>#DISPUTES`` |
| the disputes of an owner's stores | :func:`dispute_page` on gsi2 ``USER#<owner>#STORE_DISPUTES`` |
| every dispute | :func:`dispute_page` on gsi3 ``DISPUTES`` |

Newest first; ``status`` is a FilterExpression (a page may come back short, with a cursor).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pynamodb.exceptions import DoesNotExist

from souk.db.base import SoukItem, utc_now
from souk.db.paging import one_page
from souk.db.transactions import WriteTransaction
from souk.disputes import keys
from souk.disputes.models import OPEN, Dispute, DisputeMessage, OpenDispute

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from pynamodb.expressions.update import Action

    from souk.audit.models import AuditRecord

DISPUTE_LABEL = "dispute"
OPEN_LABEL = "open-dispute"
MESSAGE_LABEL = "message"
MAX_MESSAGES = 200  # per dispute: its detail stays one Query of bounded size
Timeline = Literal["customer", "owner", "all"]


def read_dispute(dispute_id: str) -> Dispute | None:
    try:
        return Dispute.get(keys.dispute(dispute_id), keys.dispute(dispute_id), consistent_read=True)
    except DoesNotExist:
        return None


def read_thread(dispute_id: str) -> tuple[Dispute | None, list[DisputeMessage]]:
    """The dispute and its messages, oldest first: one Query of its partition (at most
    :data:`MAX_MESSAGES` messages of at most 5,000 characters: under DynamoDB's 1 MB page)."""
    raw = SoukItem.query(keys.dispute(dispute_id), consistent_read=True, page_size=MAX_MESSAGES + 1)
    items, _ = one_page(SoukItem, raw)
    dispute = next((i for i in items if isinstance(i, Dispute)), None)
    return dispute, [i for i in items if isinstance(i, DisputeMessage)]


def list_keys(dispute: Dispute) -> None:
    """The dispute on its customer's, its store owner's and the platform's lists."""
    sort = keys.newest(dispute.created_at.isoformat(), dispute.dispute_id)
    dispute.gsi1pk, dispute.gsi1sk = keys.customer_disputes(dispute.customer_id), sort
    dispute.gsi2pk, dispute.gsi2sk = keys.owner_disputes(dispute.store_owner_id), sort
    dispute.gsi3pk, dispute.gsi3sk = keys.DISPUTES_ALL, sort


def write_open(dispute: Dispute, record: AuditRecord) -> None:
    """The order's open-dispute lock (a second open dispute fails on :data:`OPEN_LABEL`), the dispute and its
    audit record, in one transaction."""
    lock = OpenDispute(pk=keys.open_dispute(dispute.order_id), sk=keys.open_dispute(dispute.order_id),
                       dispute_id=dispute.dispute_id, created_at=dispute.created_at,
                       updated_at=dispute.created_at)  # fmt: skip
    with WriteTransaction() as tx:
        tx.put(lock, OpenDispute.pk.does_not_exist(), label=OPEN_LABEL)
        tx.put(dispute, Dispute.pk.does_not_exist(), label=DISPUTE_LABEL)
        tx.put(record, label=f"audit:{record.action}")


def write_message(dispute: Dispute, message: DisputeMessage, record: AuditRecord) -> None:
    """The message and the dispute's count, only while it is open and under :data:`MAX_MESSAGES` (else
    :data:`DISPUTE_LABEL` fails), with the audit record, in one transaction."""
    with WriteTransaction() as tx:
        tx.update(dispute, [Dispute.message_count.add(1), Dispute.updated_at.set(utc_now())],
                  (Dispute.status == OPEN) & (Dispute.message_count < MAX_MESSAGES), label=DISPUTE_LABEL,
                  add_version_condition=False)  # fmt: skip
        tx.put(message, DisputeMessage.pk.does_not_exist(), label=MESSAGE_LABEL)
        tx.put(record, label=f"audit:{record.action}")


def close_writes(dispute: Dispute, status: str, resolution: str, *, amount: int | None, refund_id: str | None,
                 note: str | None, actor_id: str, now: datetime, record: AuditRecord
                 ) -> Callable[[WriteTransaction], None]:  # fmt: skip
    """The writes that close ``dispute`` (conditional on it still ``open``: of two admins one closes it, the
    other fails on :data:`DISPUTE_LABEL`), free its order for another dispute, and audit it: for a
    transaction of their own (a rejection) or joined to a refund's reservation."""
    actions: list[Action] = [Dispute.status.set(status), Dispute.resolution.set(resolution),
                             Dispute.resolved_by.set(actor_id), Dispute.resolved_at.set(now),
                             Dispute.updated_at.set(now)]  # fmt: skip
    if amount is not None:
        actions.append(Dispute.amount.set(amount))
    if refund_id is not None:
        actions.append(Dispute.refund_id.set(refund_id))
    if note is not None:
        actions.append(Dispute.note.set(note))
    lock = OpenDispute(pk=keys.open_dispute(dispute.order_id), sk=keys.open_dispute(dispute.order_id))

    def writes(tx: WriteTransaction) -> None:
        tx.update(dispute, actions, Dispute.status == OPEN, label=DISPUTE_LABEL, add_version_condition=False)
        tx.delete(lock, OpenDispute.dispute_id == dispute.dispute_id, label=OPEN_LABEL)
        tx.put(record, label=f"audit:{record.action}")

    return writes


def write_close(writes: Callable[[WriteTransaction], None]) -> None:
    with WriteTransaction() as tx:
        writes(tx)


def reopen(dispute: Dispute, refund_id: str) -> None:
    """A refund that failed at the payment provider (compensated by refunds): the dispute it closed is open
    again, conditional on that very refund, and its order locked to it again."""
    lock = OpenDispute(pk=keys.open_dispute(dispute.order_id), sk=keys.open_dispute(dispute.order_id),
                       dispute_id=dispute.dispute_id)  # fmt: skip
    actions: list[Action] = [Dispute.status.set(OPEN), Dispute.resolution.remove(), Dispute.amount.remove(),
                             Dispute.refund_id.remove(), Dispute.note.remove(), Dispute.resolved_by.remove(),
                             Dispute.resolved_at.remove(), Dispute.updated_at.set(utc_now())]  # fmt: skip
    with WriteTransaction() as tx:
        tx.update(dispute, actions, Dispute.refund_id == refund_id, label=DISPUTE_LABEL, add_version_condition=False)
        tx.put(lock, OpenDispute.pk.does_not_exist(), label=OPEN_LABEL)


def _index(timeline: Timeline) -> tuple[Any, str]:
    if timeline == "customer":
        return Dispute.gsi1, "gsi1pk"
    if timeline == "owner":
        return Dispute.gsi2, "gsi2pk"
    return Dispute.gsi3, "gsi3pk"


def partition(timeline: Timeline, user_id: str) -> tuple[str, str]:
    """(partition, partition attribute) of a list."""
    _, attribute = _index(timeline)
    if timeline == "customer":
        return keys.customer_disputes(user_id), attribute
    if timeline == "owner":
        return keys.owner_disputes(user_id), attribute
    return keys.DISPUTES_ALL, attribute


def dispute_page(timeline: Timeline, user_id: str, status: str | None, *, limit: int,
                 start: dict[str, Any] | None) -> tuple[list[Dispute], dict[str, Any] | None]:  # fmt: skip
    """One Query of a list, newest first."""
    index, _ = _index(timeline)
    part, _ = partition(timeline, user_id)
    result = index.query(part, filter_condition=(Dispute.status == status) if status else None,
                         scan_index_forward=False, page_size=limit, last_evaluated_key=start)  # fmt: skip
    found, last_key = one_page(Dispute, result)
    return [d for d in found if isinstance(d, Dispute)], last_key
