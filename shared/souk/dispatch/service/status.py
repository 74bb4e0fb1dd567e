"""PATCH /api/v1/deliveries/{deliveryId}/status: the assigned courier picks up, delivers, or fails a delivery.

Rules (plain functions, no AWS):

- **Moves** (:data:`FROM`): ``picked_up`` from ``assigned``; ``delivered`` from ``picked_up``;
  ``failed`` from ``assigned`` or ``picked_up``. Anything else is 409 INVALID_STATE.
- **What each needs** (:func:`check_request`): ``delivered`` a ``proofUploadId`` and ``failed``
  a ``reason`` (else 400 naming the field).
- **Proof of delivery** (:func:`check_proof_position`, :func:`check_proof_file`): the
  courier's last reported position must be within the admin settings'
  ``delivery.proofRadiusMeters`` of the drop-off (else 422; no position at all is 422 too),
  and the proof must be the courier's own ``attachment`` upload whose file arrived and is
  an image (uploads' :func:`~souk.uploads.service.claim_uploads` checks owner, purpose and
  the file with one HeadObject; else 400 naming ``proofUploadId``).

One transaction per change, the order's move (souk.orders) joined by the delivery's update
(conditional on the status, courier and version read; the version +1) and its audit record:

- ``picked_up``: the order → ``picked_up`` (:func:`souk.orders.service.fulfilment.move_order`).
- ``delivered``: the order → ``delivered`` (orders adds the commission's delivered writes), and
  the delivery's fee is credited to the courier's wallet (:func:`souk.wallet.service.credit`,
  entry ``delivery-fee-<deliveryId>``: once, whatever the retries). The fee is the platform's
  (the customer paid it with the order; the store's net never includes it), so the platform
  pays the courier out of it: finance's ``COURIER#<deliveryId>`` entry
  (:func:`souk.finance.service.commissions.courier_fee_writes`) joins the same transaction.
- ``failed``: the order goes back to the store, ``preparing`` with the reason in its history
  and no courier (:func:`souk.orders.service.fulfilment.return_to_store`); it keeps naming the
  failed delivery until the store marks it ready again, which creates a new one.

Of two racing changes (delivered and failed at once) exactly one applies: both are conditional
on the order's status and on the delivery's; the other answers 409 INVALID_STATE. After the
commit the customer and the store owner are emailed (best effort; for ``delivered`` the
customer gets orders' own "delivered" email, the store owner dispatch's).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from souk.admin_settings import service as admin_settings
from souk.audit import service as audit
from souk.db.base import utc_now
from souk.db.transactions import Retry, TransactionCancelled, retry_on_contention
from souk.delivery.geo import haversine_km
from souk.dispatch.models import ASSIGNED, DELIVERED, FAILED, PICKED_UP
from souk.dispatch.schemas import DeliveryOut, delivery_out
from souk.dispatch.service.deliveries import is_courier_of, load_delivery
from souk.dispatch.store import status as store
from souk.errors import Conflict, InvalidState, NotFound, UnprocessableEntity, ValidationFailed
from souk.finance.service import commissions
from souk.notifications.schemas import Message
from souk.notifications.service.notifications import notify
from souk.notify.exceptions import NotificationError
from souk.observability import logger
from souk.orders.schemas import StatusRequest
from souk.orders.service import fulfilment
from souk.uploads.service import claim_uploads
from souk.wallet import service as wallet

if TYPE_CHECKING:
    from collections.abc import Callable

    from souk.caller import Principal
    from souk.db.transactions import WriteTransaction
    from souk.dispatch.models import Delivery
    from souk.dispatch.schemas import DeliveryStatusIn
    from souk.orders.models import Order

FROM: dict[str, frozenset[str]] = {
    PICKED_UP: frozenset({ASSIGNED}),
    DELIVERED: frozenset({PICKED_UP}),
    FAILED: frozenset({ASSIGNED, PICKED_UP}),
}
PROOF_PURPOSES = frozenset({"attachment"})
MAX_ATTEMPTS = 4  # a change that lost to a concurrent write on the delivery is re-read and tried again


# ---------------------------------------------------------------- rules: plain functions


def _label(status: str) -> str:
    return status.replace("_", " ")


def check_request(body: DeliveryStatusIn) -> None:
    """400 naming the field a change needs: ``proofUploadId`` to deliver, ``reason`` to fail."""
    if body.status == DELIVERED and not body.proof_upload_id:
        raise ValidationFailed.field("proofUploadId", "A delivery is marked delivered with a photo: upload it first.")
    if body.status == FAILED and not (body.reason or "").strip():
        raise ValidationFailed.field("reason", "Say why the delivery failed.")


def check_move(current: str, target: str) -> None:
    """409 INVALID_STATE unless ``current → target`` is one of :data:`FROM`."""
    if current not in FROM.get(target, frozenset()):
        raise InvalidState(f"A delivery that is {_label(current)} cannot become {_label(target)}.")


def proof_distance_m(delivery: Delivery) -> float | None:
    """Metres from the courier's last reported position to the drop-off (None: no position yet)."""
    if delivery.last_lat is None or delivery.last_lng is None:
        return None
    return 1000 * haversine_km(float(delivery.last_lat), float(delivery.last_lng), float(delivery.dropoff_lat),
                               float(delivery.dropoff_lng))  # fmt: skip


def check_proof_position(delivery: Delivery, radius_m: int) -> None:
    """422 unless the courier's last position is within ``radius_m`` of the drop-off."""
    distance = proof_distance_m(delivery)
    if distance is None:
        raise UnprocessableEntity("No position was reported for this delivery: send your location, then deliver.")
    if distance > radius_m:
        raise UnprocessableEntity(f"Your last position is {round(distance)} m from the drop-off; a delivery is "
                                  f"marked delivered within {radius_m} m of it.")  # fmt: skip


def check_proof_file(courier_id: str, upload_id: str) -> None:
    """The proof is the courier's own image upload whose file arrived (else 400 naming ``proofUploadId``)."""
    (upload,) = claim_uploads(courier_id, [upload_id], PROOF_PURPOSES, field="proofUploadId")
    if not upload.content_type.startswith("image/"):
        raise ValidationFailed.field("proofUploadId", f"Upload {upload_id} is not a photo.")


# ---------------------------------------------------------------- the route


def change_status(principal: Principal, delivery_id: str, body: DeliveryStatusIn) -> DeliveryOut:
    """Move the delivery (and its order) to ``body.status``; see the module for the rules.

    Raises
    ------
    ValidationFailed
        A needed field is missing, or the proof is not the courier's photo.
    NotFound
        No such delivery, or not the caller's.
    InvalidState
        Not a move from the delivery's status (also when a concurrent change got there first),
        or the order is not where the delivery expects it.
    UnprocessableEntity
        Delivered too far from the drop-off, or with no position reported.
    """
    check_request(body)
    target = body.status
    delivery = load_delivery(delivery_id)
    if not is_courier_of(principal, delivery):
        raise NotFound("No such delivery.")
    check_move(delivery.status, target)
    if target == DELIVERED:
        check_proof_position(delivery, admin_settings.current().delivery.proof_radius_meters)
        check_proof_file(principal.user_id, str(body.proof_upload_id))
    reason = (body.reason or "").strip() or None

    def attempt() -> DeliveryOut:
        nonlocal delivery
        join = _joined(principal, delivery, target, body.proof_upload_id, reason)
        try:
            if target == FAILED:
                fulfilment.return_to_store(principal, delivery.order_id, str(reason), also=join)
            else:
                request = StatusRequest(status="picked_up" if target == PICKED_UP else "delivered", reason=reason)
                fulfilment.move_order(principal, delivery.order_id, request, also=join)
        except TransactionCancelled as cancelled:
            if store.DELIVERY_LABEL not in cancelled.failed():
                raise
            delivery = load_delivery(delivery_id)  # changed meanwhile: the checks answer for what it is now
            if not is_courier_of(principal, delivery):
                raise NotFound("No such delivery.") from cancelled
            check_move(delivery.status, target)
            raise Retry from cancelled
        except (NotFound, InvalidState):
            # The order refused: a concurrent change of this delivery (a failure gives the order back to
            # the store, without its courier) answers as the delivery's own 409; anything else stands.
            check_move(load_delivery(delivery_id).status, target)
            raise
        moved = load_delivery(delivery_id)
        _notify(moved, target)
        return delivery_out(moved)

    return retry_on_contention(
        attempt,
        attempts=MAX_ATTEMPTS,
        exhausted=lambda: Conflict("The delivery is busy right now; retry.", headers={"Retry-After": "1"}),
    )


def _joined(principal: Principal, delivery: Delivery, target: str, proof_upload_id: str | None,
            reason: str | None) -> Callable[[Order], Callable[[WriteTransaction], None]]:  # fmt: skip
    """The delivery's part in its order's move: refused when the order follows another delivery."""

    def join(order: Order) -> Callable[[WriteTransaction], None]:
        if order.delivery_id != delivery.delivery_id:
            raise InvalidState("This delivery is no longer the order's.")

        def writes(tx: WriteTransaction) -> None:
            now = utc_now()
            store.write_status(tx, delivery, target, courier_id=principal.user_id, now=now,
                               proof_upload_id=proof_upload_id, reason=reason)  # fmt: skip
            action = "delivery.pick_up" if target == PICKED_UP else "delivery.deliver" if target == DELIVERED \
                else "delivery.fail"  # fmt: skip
            audit.record(principal.actor, action, "delivery", delivery.delivery_id, tx=tx,
                         before={"status": delivery.status},
                         after={"status": target, "proofUploadId": proof_upload_id, "reason": reason})  # fmt: skip
            if target == DELIVERED:
                _credit_fee(tx, delivery)

        return writes

    return join


def _credit_fee(tx: WriteTransaction, delivery: Delivery) -> None:
    """The delivery's fee to the courier's wallet, once per delivery (the entry id is derived from it), paid by the
    platform out of the delivery fees it collected (finance's entry, in the same transaction)."""
    fee = int(delivery.fee_amount or 0)
    if fee <= 0 or delivery.courier_id is None:
        return
    if delivery.currency != wallet.wallet_currency():
        # Wallets hold one currency; a fee in another is left for an admin (logged, never converted).
        logger.error("courier fee not credited: currency", extra={"delivery_id": delivery.delivery_id,
                                                                   "currency": delivery.currency})  # fmt: skip
        return
    wallet.credit(tx, delivery.courier_id, fee, entry_type="credit",
                  reference=wallet.Reference("order", delivery.order_id),
                  description=f"Delivery fee, order {delivery.order_id}",
                  entry_id=f"delivery-fee-{delivery.delivery_id}")  # fmt: skip
    commissions.courier_fee_writes(tx, store_id=delivery.store_id, order_id=delivery.order_id,
                                   delivery_id=delivery.delivery_id, currency=delivery.currency, fee=fee)  # fmt: skip


# ---------------------------------------------------------------- emails (best effort, after the commit)


def _emails(delivery: Delivery, target: str) -> list[tuple[str, dict[str, Any]]]:
    """(recipient, variables) of the emails a change sends."""
    order_id = delivery.order_id
    if target == PICKED_UP:
        return [
            (delivery.customer_id, {"order_id": order_id, "headline": "on its way",
                                    "detail": "Your courier picked up your order and is on the way to you."}),
            (delivery.store_owner_id, {"order_id": order_id, "headline": "picked up",
                                       "detail": f"The courier picked up order {order_id}."}),
        ]  # fmt: skip
    if target == DELIVERED:  # the customer hears it from orders ("Your order ... is delivered")
        return [(delivery.store_owner_id, {"order_id": order_id, "headline": "delivered",
                                           "detail": f"Order {order_id} was delivered; the courier's photo is "
                                                     "on file."})]  # fmt: skip
    reason = delivery.reason or "no reason given"
    return [
        (delivery.customer_id, {"order_id": order_id, "headline": "delivery failed",
                                "detail": f"The courier could not deliver your order ({reason}). The store will "
                                          "send it again."}),
        (delivery.store_owner_id, {"order_id": order_id, "headline": "delivery failed",
                                   "detail": f"The courier could not deliver order {order_id} ({reason}). It is back "
                                             "in preparing: mark it ready to send a new courier."}),
    ]  # fmt: skip


def _notify(delivery: Delivery, target: str) -> None:
    for user_id, variables in _emails(delivery, target):
        try:
            notify(user_id, "delivery", delivery.delivery_id, target,
                   title=f"Order {delivery.order_id}: {variables['headline']}", body=str(variables["detail"]),
                   data={"deliveryId": delivery.delivery_id, "orderId": delivery.order_id, "status": target},
                   email=Message("delivery_status_changed", variables))  # fmt: skip
        except NotificationError as exc:
            logger.warning("delivery email not queued", extra={"delivery_id": delivery.delivery_id,
                                                               "error_type": type(exc).__name__})  # fmt: skip
