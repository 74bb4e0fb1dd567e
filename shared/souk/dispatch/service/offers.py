"""Offers: a delivery offered to the nearest courier, accepted by exactly one, re-offered on decline or expiry.

- **Offer** (:func:`offer_next`): the nearest fresh available couriers around the pickup
  (:func:`souk.delivery.service.couriers.nearest_couriers`), less those in ``passed``, are tried
  nearest first. One transaction a try: the courier's :class:`CourierOffer` marker put only where
  there is none or it expired (one offer per courier at a time), their position still available,
  and the delivery updated conditional on its ``version`` (courier, ``offerExpiresAt`` = now +
  ``delivery.offerSeconds``, gsi1 on the courier's jobs, gsi3 due at the expiry). A taken marker or
  a courier gone unavailable: the next candidate. Nobody: the delivery stays ``offered`` with no
  courier, due for the next run of the job.
- **Accept** (:func:`accept`): conditional on status ``offered``, ``courierId`` = the caller and
  ``offerExpiresAt`` > now, with the order (courier, gsi4 entry), the marker and the courier's
  availability in the same transaction.
- **Decline** and **expiry** (:func:`decline`, :func:`settle`): the courier joins ``passed``, the
  marker goes (when it names this delivery), then the next offer.
- **The job** (:func:`run_due`): every minute, the deliveries gsi3 says are due (bounded pages),
  each settled: expired → released and re-offered; waiting → offered again; order cancelled or
  refunded meanwhile → cancelled.

Every delivery write is conditional on the version read, so the job running twice at once, a
decline racing the job, or a read settling an expired offer make one offer, never two.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from souk.admin_settings import service as admin_settings
from souk.audit import service as audit
from souk.db.base import utc_now
from souk.db.transactions import CONTENTION, Retry, TransactionCancelled, retry_on_contention
from souk.delivery.service import couriers
from souk.dispatch.models import OFFERED, Delivery
from souk.dispatch.schemas import DeclinedOut, DeliveryOut, delivery_out
from souk.dispatch.service import offer_emails as notifications
from souk.dispatch.service.deliveries import load_delivery, load_visible, may_see
from souk.dispatch.store import deliveries as reads
from souk.dispatch.store import offers as store
from souk.errors import Conflict, InvalidState, NotFound
from souk.observability import logger
from souk.orders import status as order_status
from souk.orders.service.orders import load_order

if TYPE_CHECKING:
    from collections.abc import Callable

    from souk.admin_settings.schemas import DeliverySettings
    from souk.caller import Principal
    from souk.orders.models import Order

CANDIDATES = 10  # couriers asked of the search beyond those who passed
TRIES = 5  # candidates tried (marker taken, courier gone) before the delivery waits for the next run
REREADS = 4  # times an offer re-reads a delivery another writer changed meanwhile
ATTEMPTS = 5  # accept/decline tries lost to a concurrent writer
DUE_PAGE = 25  # deliveries read from gsi3 a page
DUE_PAGES = 8  # pages a run reads at most (the rest waits for the next minute)
ORDER_GONE = frozenset({"cancelled", "refunded"})
WAITING_NOTE = "No available courier nearby yet: the delivery is offered again every minute."
EXPIRED_NOTE = "Your offer expired: the delivery went back to the dispatcher."


# --- rules: plain functions ------------------------------------------------------------------


def offer_live(delivery: Delivery, now: datetime) -> bool:
    """Is the delivery offered to a courier whose offer has not expired?"""
    return (delivery.status == OFFERED and delivery.courier_id is not None
            and delivery.offer_expires_at is not None and delivery.offer_expires_at > now)  # fmt: skip


def offer_expired(delivery: Delivery, now: datetime) -> bool:
    return delivery.status == OFFERED and delivery.courier_id is not None and not offer_live(delivery, now)


def passed_of(delivery: Delivery) -> list[str]:
    return [str(courier_id) for courier_id in delivery.passed or []]


def candidates(found: list[str], passed: list[str], limit: int = TRIES) -> list[str]:
    """The couriers to try, nearest first: those who did not pass on this delivery yet."""
    skip = set(passed)
    return [courier_id for courier_id in found if courier_id not in skip][:limit]


def check_acceptable(delivery: Delivery, courier_id: str, now: datetime) -> None:
    """409 unless the delivery is offered to ``courier_id`` and the offer is live (API.md: accepting an offer
    made to someone else, or twice, is 409)."""
    if delivery.courier_id == courier_id and delivery.status != OFFERED:
        raise InvalidState(f"This delivery is already {delivery.status.replace('_', ' ')}.")
    if delivery.status != OFFERED:
        raise InvalidState(f"This delivery is {delivery.status.replace('_', ' ')}: it takes no courier.")
    if delivery.courier_id != courier_id:
        raise Conflict("This delivery is not offered to you.")
    if not offer_live(delivery, now):
        raise InvalidState("Your offer expired: the delivery goes to the next courier.")


def order_waits(order: Order, delivery_id: str) -> bool:
    """Is the order ready and is this its current delivery (a refund or a failed delivery moved it on)?"""
    status = order_status.fulfilment_status(order.status, order.history or [])
    return status == "ready" and order.delivery_id == delivery_id and order.status not in ORDER_GONE


# --- offering ----------------------------------------------------------------------------------


def _settings() -> DeliverySettings:
    return admin_settings.current().delivery


def _try_offer(delivery: Delivery, settings: DeliverySettings, now: datetime) -> tuple[str, Delivery | None]:
    """("offered", delivery) / ("none", None) / ("changed", None): the delivery changed under us, re-read."""
    limit = len(passed_of(delivery)) + CANDIDATES
    found = couriers.nearest_couriers(float(delivery.pickup_lat), float(delivery.pickup_lng), limit=limit,
                                      settings=settings, now=now)  # fmt: skip
    distance = {c.courier_id: c.distance_km for c in found}
    expires_at = now + timedelta(seconds=settings.offer_seconds)
    for courier_id in candidates([c.courier_id for c in found], passed_of(delivery)):
        try:
            store.write_offer(delivery, courier_id, expires_at, now)
        except TransactionCancelled as cancelled:
            failed = set(cancelled.failed())
            if store.DELIVERY_LABEL in failed or set(cancelled.reasons.values()) & CONTENTION:
                return "changed", None
            continue  # their marker is taken (another offer) or they went unavailable: the next one
        offered = reads.get_delivery(delivery.delivery_id)
        if offered is not None:
            notifications.offered(offered, distance[courier_id], settings.offer_seconds)
        return "offered", offered
    return "none", None


def offer_next(delivery_id: str, *, now: datetime | None = None) -> Delivery | None:
    """Offer the delivery to the next nearest courier if it waits for one (no courier, or an expired offer:
    released first); the delivery as it stands after. A live offer, or another status, is left alone."""
    settings = _settings()
    for _ in range(REREADS):
        moment = now or utc_now()
        delivery = reads.get_delivery(delivery_id)
        if delivery is None or delivery.status != OFFERED or offer_live(delivery, moment):
            return delivery
        if offer_expired(delivery, moment):
            with contextlib.suppress(TransactionCancelled):  # another writer got there first: read what it left
                _release(delivery, moment, record=None)
            continue
        outcome, offered = _try_offer(delivery, settings, moment)
        if outcome == "offered":
            return offered
        if outcome == "none":
            return delivery
    return reads.get_delivery(delivery_id)


def offer_quietly(delivery_id: str) -> None:
    """:func:`offer_next`, best effort (after a commit): the job catches whatever is left."""
    try:
        offer_next(delivery_id)
    except Exception:  # the delivery stands, due for the next run
        logger.warning("offer not made now; the re-offer job will", extra={"delivery_id": delivery_id},
                       exc_info=True)  # fmt: skip


def _release(delivery: Delivery, now: datetime, record: Any) -> None:
    """The offer ends; raises TransactionCancelled when another writer changed the delivery first."""
    marker = store.get_offer(delivery.courier_id or "")
    store.write_release(delivery, marker, now, record)


# --- the job ---------------------------------------------------------------------------------------


def _cancel(delivery: Delivery, reason: str, now: datetime) -> None:
    record = audit.build_record(audit.SYSTEM, "delivery.cancel", "delivery", delivery.delivery_id,
                                before={"status": delivery.status},
                                after={"status": "cancelled", "reason": reason})  # fmt: skip
    marker = store.get_offer(delivery.courier_id) if delivery.courier_id else None
    store.write_cancel(delivery, marker, reason, now, record)


def settle(delivery_id: str, *, now: datetime | None = None) -> str:
    """One due delivery: cancelled when its order no longer waits, re-offered when its offer expired or it
    has no courier; what happened (``cancelled``, ``offered``, ``waiting``, ``answer_pending``, ``done``,
    ``raced``)."""
    moment = now or utc_now()
    delivery = reads.get_delivery(delivery_id)
    if delivery is None:
        return "done"
    try:
        if delivery.status != OFFERED:
            if delivery.gsi3pk is not None:
                store.clear_due(delivery, moment)
            return "done"
        if offer_live(delivery, moment):
            return "answer_pending"
        try:
            order = load_order(delivery.order_id)
        except NotFound:
            order = None
        if order is None or not order_waits(order, delivery_id):
            status = order.status if order is not None else "gone"
            _cancel(delivery, f"The order is {status.replace('_', ' ')}.", moment)
            return "cancelled"
        after = offer_next(delivery_id, now=now)
    except TransactionCancelled:
        return "raced"  # another writer moved it first: the next run sees what it left
    return "offered" if after is not None and offer_live(after, moment) else "waiting"


def run_due(exhausted: Callable[[], bool], *, now: datetime | None = None) -> dict[str, int]:
    """Every delivery gsi3 says is due (up to :data:`DUE_PAGES` pages), settled one by one; counts by outcome."""
    moment = now or utc_now()
    report: Counter[str] = Counter()
    start: dict[str, Any] | None = None
    for _ in range(DUE_PAGES):
        due, start = store.due_page(moment, DUE_PAGE, start)
        for delivery in due:
            if exhausted():
                return {"due": sum(report.values()), **report, "stoppedEarly": 1}
            report[settle(delivery.delivery_id, now=now)] += 1
        if start is None:
            break
    return {"due": sum(report.values()), **report}


# --- the courier's answers -------------------------------------------------------------------------


def accept(principal: Principal, delivery_id: str) -> DeliveryOut:
    """The caller takes the delivery offered to them: one transaction (see :func:`store.write_accept`).

    Raises
    ------
    NotFound
        No such delivery.
    Conflict
        Offered to another courier (CONFLICT); INVALID_STATE: accepted already, expired, or no longer
        waiting for a courier (its order was refunded meanwhile).
    """
    courier_id = principal.user_id

    def attempt() -> Delivery:
        now = utc_now()
        delivery = load_delivery(delivery_id)
        check_acceptable(delivery, courier_id, now)
        order = load_order(delivery.order_id)
        if not order_waits(order, delivery_id):
            raise InvalidState("The order no longer waits for a courier.")
        marker = store.get_offer(courier_id)
        unavailable = couriers.unavailable_writes(courier_id)
        record = audit.build_record(principal.actor, "delivery.accept", "delivery", delivery_id,
                                    before={"status": delivery.status, "courierId": courier_id},
                                    after={"status": "assigned", "orderId": delivery.order_id})  # fmt: skip
        try:
            store.write_accept(delivery, order, courier_id, marker, now, unavailable, record)
        except TransactionCancelled as cancelled:
            if cancelled.failed():
                raise Retry from cancelled  # something moved: the next try reads it and answers for it
            raise
        return load_delivery(delivery_id)

    accepted = retry_on_contention(attempt, attempts=ATTEMPTS,
                                   exhausted=lambda: Conflict("The delivery is busy right now; retry.",
                                                              headers={"Retry-After": "1"}))  # fmt: skip
    notifications.courier_assigned(accepted, principal.user_id)
    return delivery_out(accepted)


def decline(principal: Principal, delivery_id: str) -> DeclinedOut:
    """The caller passes on the delivery offered to them (live or expired): they join ``passed``, their marker
    goes, and the next nearest courier is offered it. Declining again answers the same.

    Raises
    ------
    NotFound
        No such delivery, or one the caller was never offered.
    InvalidState
        The caller holds it (accepted): a held delivery fails through PATCH /deliveries/{id}/status.
    """
    courier_id = principal.user_id

    def attempt() -> DeclinedOut:
        now = utc_now()
        delivery = load_delivery(delivery_id)
        if courier_id in passed_of(delivery):
            return DeclinedOut(delivery_id=delivery_id, declined=True)
        if delivery.courier_id != courier_id:
            raise NotFound("No such delivery.")
        if delivery.status != OFFERED:
            raise InvalidState(f"This delivery is {delivery.status.replace('_', ' ')}: "
                               f"use PATCH /api/v1/deliveries/{delivery_id}/status to report a failure.")  # fmt: skip
        record = audit.build_record(principal.actor, "delivery.decline", "delivery", delivery_id,
                                    before={"status": delivery.status, "courierId": courier_id},
                                    after={"passed": True})  # fmt: skip
        try:
            _release(delivery, now, record)
        except TransactionCancelled as cancelled:
            if cancelled.failed():
                raise Retry from cancelled
            raise
        return DeclinedOut(delivery_id=delivery_id, declined=True)

    out = retry_on_contention(attempt, attempts=ATTEMPTS,
                              exhausted=lambda: Conflict("The delivery is busy right now; retry.",
                                                         headers={"Retry-After": "1"}))  # fmt: skip
    offer_quietly(delivery_id)
    return out


# --- reads ---------------------------------------------------------------------------------------


def view(principal: Principal, delivery_id: str) -> DeliveryOut:
    """One delivery for the caller. An offer past its expiry is settled first (released and offered to the
    next courier: the job's work, done on read); the courier whose offer it was sees it expired."""
    delivery = load_visible(principal, delivery_id)
    now = utc_now()
    if offer_expired(delivery, now):
        settle(delivery_id, now=now)
        after = reads.get_delivery(delivery_id)
        if after is not None and may_see(principal, after):
            return with_note(after, now)
        return delivery_out(delivery).model_copy(update={"note": EXPIRED_NOTE})
    return with_note(delivery, now)


def with_note(delivery: Delivery, now: datetime) -> DeliveryOut:
    out = delivery_out(delivery)
    if delivery.status == OFFERED and delivery.courier_id is None:
        return out.model_copy(update={"note": WAITING_NOTE})
    if offer_expired(delivery, now):
        return out.model_copy(update={"note": EXPIRED_NOTE})
    return out
