"""Dispatch writes: a new delivery, an offer, its release (declined, expired), its acceptance, a cancel,
the order's moves the delivery follows, and the page of deliveries due for the dispatcher (gsi3).

Every write of a delivery is conditional on the ``version`` read (the ``delivery`` label when it
fails), so two dispatchers (the job, a decline, a read) racing on one delivery cannot both apply.
A courier's :class:`CourierOffer` marker is put only where there is none or it expired (the
``offer`` label), so a courier holds one offer at a time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from souk.db import expiry
from souk.db.keys import timeline_sort
from souk.db.paging import one_page
from souk.db.transactions import WriteTransaction
from souk.delivery import keys as delivery_keys
from souk.delivery.models import CourierPosition
from souk.dispatch import keys
from souk.dispatch.models import ASSIGNED, CANCELLED, OFFERED, CourierOffer, Delivery
from souk.orders import keys as orders_keys
from souk.orders.models import Order

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from pynamodb.expressions.update import Action

    from souk.audit.models import AuditRecord

DELIVERY_LABEL = "delivery"
OFFER_LABEL = "offer"
POSITION_LABEL = "position"
ORDER_LABEL = "order"


def due_key(moment: datetime, delivery_id: str) -> str:
    """gsi3 sort key: a fixed-width UTC stamp, so "due up to now" is a key range."""
    return keys.due_sort(expiry.stamp(moment), delivery_id)


def jobs_key(moment: datetime, delivery_id: str) -> str:
    return timeline_sort(expiry.stamp(moment), delivery_id)


def _bump(delivery: Delivery, now: datetime) -> list[Action]:
    return [Delivery.version.set(int(delivery.version) + 1), Delivery.updated_at.set(now)]


def _same_version(delivery: Delivery) -> Any:
    return Delivery.version == delivery.version


def _put_audit(tx: WriteTransaction, record: AuditRecord | None) -> None:
    if record is not None:
        tx.put(record, label=f"audit:{record.action}")


# --- reads ----------------------------------------------------------------------------------


def get_offer(courier_id: str) -> CourierOffer | None:
    """The courier's offer marker (consistent GetItem), expired or not; None when there is none."""
    try:
        return CourierOffer.get(keys.courier(courier_id), keys.OFFER, consistent_read=True)
    except CourierOffer.DoesNotExist:
        return None


def due_page(now: datetime, limit: int, start: dict[str, Any] | None) -> tuple[list[Delivery], dict[str, Any] | None]:
    """One Query page of gsi3 ``DISPATCH`` up to ``now``, oldest due first: the deliveries waiting for a
    courier and the offers that expired. The items are re-read before any write (the index lags)."""
    result = Delivery.gsi3.query(keys.DISPATCH_DUE, Delivery.gsi3sk <= keys.due_sort(expiry.stamp(now), "~"),
                                 page_size=limit, last_evaluated_key=start)  # fmt: skip
    found, last = one_page(Delivery, result)
    return [d for d in found if isinstance(d, Delivery)], last


# --- the delivery an order creates when it becomes ready --------------------------------------


def new_delivery(*, delivery_id: str, order: Order, pickup: tuple[float, float], dropoff: tuple[float, float],
                 now: datetime) -> Delivery:  # fmt: skip
    """An unsaved delivery, offered to nobody yet and due for the dispatcher now."""
    return Delivery(
        pk=keys.delivery(delivery_id), sk=keys.DELIVERY, delivery_id=delivery_id, order_id=order.order_id,
        store_id=order.store_id, store_owner_id=order.store_owner_id, customer_id=order.customer_id,
        status=OFFERED, pickup_lat=pickup[0], pickup_lng=pickup[1], dropoff_lat=dropoff[0], dropoff_lng=dropoff[1],
        fee_amount=int(order.delivery_fee or 0), currency=order.currency, passed=[], version=1,
        gsi2pk=keys.ALL_DELIVERIES, gsi2sk=jobs_key(now, delivery_id),
        gsi3pk=keys.DISPATCH_DUE, gsi3sk=due_key(now, delivery_id), created_at=now, updated_at=now,
    )  # fmt: skip


def put_new(tx: WriteTransaction, delivery: Delivery) -> None:
    tx.put(delivery, Delivery.pk.does_not_exist(), label=DELIVERY_LABEL)


# --- an offer ---------------------------------------------------------------------------------


def write_offer(delivery: Delivery, courier_id: str, expires_at: datetime, now: datetime) -> None:
    """One transaction: the courier's marker (none, or theirs expired), the courier still available (their
    position), and the delivery offered to them (conditional on the version read)."""
    marker = CourierOffer(pk=keys.courier(courier_id), sk=keys.OFFER, courier_id=courier_id,
                          delivery_id=delivery.delivery_id, offer_expires_at=expires_at, expires_at=expires_at,
                          created_at=now, updated_at=now)  # fmt: skip
    actions = [
        Delivery.status.set(OFFERED), Delivery.courier_id.set(courier_id), Delivery.offer_expires_at.set(expires_at),
        Delivery.gsi1pk.set(keys.courier_jobs(courier_id)), Delivery.gsi1sk.set(jobs_key(now, delivery.delivery_id)),
        Delivery.gsi3pk.set(keys.DISPATCH_DUE), Delivery.gsi3sk.set(due_key(expires_at, delivery.delivery_id)),
        *_bump(delivery, now),
    ]  # fmt: skip
    with WriteTransaction() as tx:
        tx.put(marker, CourierOffer.pk.does_not_exist() | (CourierOffer.offer_expires_at < now), label=OFFER_LABEL)
        tx.check(CourierPosition, delivery_keys.courier_key(courier_id), delivery_keys.POSITION,
                 CourierPosition.available == True, label=POSITION_LABEL)  # noqa: E712  # fmt: skip
        tx.update(delivery, actions, _same_version(delivery) & (Delivery.status == OFFERED), label=DELIVERY_LABEL)


def _marker_delete(tx: WriteTransaction, marker: CourierOffer | None, delivery_id: str) -> None:
    """The courier's marker deleted, when the one read names this delivery (else it is another offer's)."""
    if marker is not None and marker.delivery_id == delivery_id:
        tx.delete(marker, CourierOffer.delivery_id == delivery_id, label=OFFER_LABEL)


def write_release(delivery: Delivery, marker: CourierOffer | None, now: datetime, record: AuditRecord | None) -> None:
    """The offer ends (declined or expired): its courier joins ``passed``, the delivery waits for the next one
    (no courier, due now) and the courier's marker goes, in one transaction."""
    courier_id = delivery.courier_id or ""
    actions = [
        Delivery.passed.set(Delivery.passed.append([courier_id])), Delivery.courier_id.remove(),
        Delivery.offer_expires_at.remove(), Delivery.gsi1pk.remove(), Delivery.gsi1sk.remove(),
        Delivery.gsi3pk.set(keys.DISPATCH_DUE), Delivery.gsi3sk.set(due_key(now, delivery.delivery_id)),
        *_bump(delivery, now),
    ]  # fmt: skip
    condition = _same_version(delivery) & (Delivery.status == OFFERED) & (Delivery.courier_id == courier_id)
    with WriteTransaction() as tx:
        tx.update(delivery, actions, condition, label=DELIVERY_LABEL)
        _marker_delete(tx, marker, delivery.delivery_id)
        _put_audit(tx, record)


def write_accept(delivery: Delivery, order: Order, courier_id: str, marker: CourierOffer | None, now: datetime,
                 unavailable: Callable[[WriteTransaction], None] | None, record: AuditRecord) -> None:  # fmt: skip
    """One transaction: the delivery assigned (offered to this courier, unexpired, version read), the order
    given its courier and its place on the courier's timeline (gsi4), the marker deleted, the courier made
    unavailable (their position and cell entry) and the audit record."""
    actions = [
        Delivery.status.set(ASSIGNED), Delivery.assigned_at.set(now), Delivery.offer_expires_at.remove(),
        Delivery.gsi3pk.remove(), Delivery.gsi3sk.remove(), *_bump(delivery, now),
    ]  # fmt: skip
    condition = (_same_version(delivery) & (Delivery.status == OFFERED) & (Delivery.courier_id == courier_id)
                 & (Delivery.offer_expires_at > now))  # fmt: skip
    order_actions = [
        Order.courier_id.set(courier_id), Order.gsi4pk.set(orders_keys.courier_orders(courier_id)),
        Order.gsi4sk.set(timeline_sort(expiry.stamp(order.created_at), order.order_id)), Order.updated_at.set(now),
    ]  # fmt: skip
    order_condition = ((Order.status == order.status) & (Order.delivery_id == delivery.delivery_id)
                       & Order.courier_id.does_not_exist())  # fmt: skip
    with WriteTransaction() as tx:
        tx.update(delivery, actions, condition, label=DELIVERY_LABEL)
        tx.update(order, order_actions, order_condition, label=ORDER_LABEL)
        _marker_delete(tx, marker, delivery.delivery_id)
        if unavailable is not None:
            unavailable(tx)
        _put_audit(tx, record)


def write_cancel(delivery: Delivery, marker: CourierOffer | None, reason: str, now: datetime,
                 record: AuditRecord) -> None:  # fmt: skip
    """The delivery cancelled (its order was cancelled or refunded): out of the indexes, its offer's marker gone."""
    actions = [
        Delivery.status.set(CANCELLED), Delivery.reason.set(reason), Delivery.offer_expires_at.remove(),
        Delivery.gsi1pk.remove(), Delivery.gsi1sk.remove(), Delivery.gsi3pk.remove(), Delivery.gsi3sk.remove(),
        *_bump(delivery, now),
    ]  # fmt: skip
    with WriteTransaction() as tx:
        tx.update(delivery, actions, _same_version(delivery), label=DELIVERY_LABEL)
        _marker_delete(tx, marker, delivery.delivery_id)
        _put_audit(tx, record)


def clear_due(delivery: Delivery, now: datetime) -> None:
    """A delivery that no longer waits for the dispatcher leaves gsi3 (conditional on the version read)."""
    delivery.update([Delivery.gsi3pk.remove(), Delivery.gsi3sk.remove(), *_bump(delivery, now)],
                    condition=_same_version(delivery))  # fmt: skip


# --- the order's moves the delivery follows ---------------------------------------------------


def follow_writes(delivery: Delivery, status: str, now: datetime) -> Callable[[WriteTransaction], None]:
    """The delivery's part in its order's move to ``picked_up`` or ``delivered`` (for the order's transaction):
    its status and time, out of the dispatcher's index, conditional on the version read. A delivery still
    offered (an admin moved the order before any courier accepted) drops its offer: its courier's marker
    expires by itself at ``offerExpiresAt``."""
    actions = [Delivery.status.set(status), Delivery.gsi3pk.remove(), Delivery.gsi3sk.remove(), *_bump(delivery, now)]
    actions.append(Delivery.picked_up_at.set(now) if status == "picked_up" else Delivery.delivered_at.set(now))
    if delivery.status == OFFERED:
        actions += [Delivery.courier_id.remove(), Delivery.offer_expires_at.remove(), Delivery.gsi1pk.remove(),
                    Delivery.gsi1sk.remove()]  # fmt: skip

    def writes(tx: WriteTransaction) -> None:
        tx.update(delivery, actions, _same_version(delivery), label=DELIVERY_LABEL)

    return writes
