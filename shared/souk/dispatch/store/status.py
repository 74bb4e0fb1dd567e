"""A delivery's status change, added to the transaction that moves its order."""

from __future__ import annotations

from typing import TYPE_CHECKING

from souk.dispatch.models import DELIVERED, FAILED, PICKED_UP, Delivery

if TYPE_CHECKING:
    from datetime import datetime

    from pynamodb.expressions.update import Action

    from souk.db.transactions import WriteTransaction

DELIVERY_LABEL = "delivery"  # a ConditionalCheckFailed on it: the delivery moved (or changed hands) meanwhile


def write_status(tx: WriteTransaction, delivery: Delivery, target: str, *, courier_id: str, now: datetime,
                 proof_upload_id: str | None = None, reason: str | None = None) -> None:  # fmt: skip
    """The delivery → ``target``, conditional on the status, courier and version read (the version +1).

    Delivered and failed deliveries leave the courier's jobs (gsi1): they are no longer held.
    """
    actions: list[Action] = [Delivery.status.set(target), Delivery.version.add(1), Delivery.updated_at.set(now)]
    if target == PICKED_UP:
        actions.append(Delivery.picked_up_at.set(now))
    if target == DELIVERED:
        actions += [Delivery.delivered_at.set(now), Delivery.proof_upload_id.set(str(proof_upload_id)),
                    Delivery.eta_minutes.set(0)]  # fmt: skip
    if target == FAILED:
        actions.append(Delivery.reason.set(str(reason)))
    if target in (DELIVERED, FAILED):
        actions += [Delivery.gsi1pk.remove(), Delivery.gsi1sk.remove()]
    condition = (
        (Delivery.status == delivery.status)
        & (Delivery.courier_id == courier_id)
        & (Delivery.version == int(delivery.version))
    )
    tx.update(delivery, actions, condition, label=DELIVERY_LABEL)
