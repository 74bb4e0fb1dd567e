"""Payouts, exactly once: request, admin decision, the worker's Stripe transfer, reversals, reconciliation.

- Request (POST /stores/{storeId}/payouts): in the store's currency, at least
  ``funds.minimumPayout``, to an ``active`` payout account; the Payout item, the ledger move
  ``PAYOUT#<id>#REQUEST`` (available -> in_payout, conditional on ``available >= amount``:
  two parallel requests can never exceed it) and the audit record in one transaction.
- Decision (PATCH /admin/payouts/{id}): requested -> approved (then queued), requested or
  approved -> rejected, approved -> failed; a rejected or failed amount goes back to
  available (``PAYOUT#<id>#RETURN``). Each move is conditional on the status it leaves.
- Worker (:func:`execute`): approved -> processing (conditional, ``attempts + 1``), then the
  transfer (idempotency key and ``transfer_group`` = the payout id), then paid in one
  transaction (``PAYOUT#<id>#PAID``, in_payout -> paid_out). A payout found ``processing``
  (a crash or timeout after the Stripe call, a duplicate message) is resolved by looking the
  transfer up by its group first; a transfer is created only when Stripe has none, so the
  24-hour life of idempotency keys never matters. A definitive refusal fails the payout
  and returns the amount; an unknown outcome leaves it processing and raises (SQS retries).
  A payout is never deleted.
- ``transfer.reversed``: each reversal of the payout's transfer goes back to available once
  (:func:`reversal_key`: ``PAYOUT#<id>#REVERSED#<reversalId>``, or ``CLAWBACK#<transferId>#<reversalId>``
  for the reversals our claw-backs ask for, which :mod:`souk.finance.service.clawbacks` books under
  the same key); a transfer reversed in full by Stripe fails the payout.
- :func:`reconcile_processing_payouts` (the daily finance job): payouts stuck in processing
  are resolved by the same lookup; approved payouts that never reached the worker (a lost
  message, an account held) are queued again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from souk.admin_settings import service as admin_settings
from souk.audit import service as audit
from souk.caller import Actor
from souk.db.base import utc_now
from souk.db.idempotency import idempotent_call
from souk.db.transactions import Retry, TransactionCancelled, WriteTransaction, retry_on_contention
from souk.errors import Conflict, InsufficientFunds, InvalidState, NotFound, SoukError, UnprocessableEntity
from souk.finance import ledger
from souk.finance.models import Payout, StoreBalance
from souk.finance.schemas import PayoutDecision, PayoutOut, PayoutRequest, PayoutsQuery, payout_out
from souk.finance.service.balance import owned_store
from souk.finance.store import accounts as account_store
from souk.finance.store import ledger as ledger_store
from souk.finance.store import payouts as store
from souk.ids import new_id
from souk.money import amount_in, display
from souk.observability import logger

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from souk.caller import Principal

IDEMPOTENCY_SCOPE = "PAYOUTS"
MAX_ATTEMPTS = 10  # transactions rebuilt after losing a race on the balance or the payout
STALE_AFTER = timedelta(minutes=10)  # processing this long: the daily job resolves it
STRIPE = Actor(user_id="stripe", role="system")
FINAL = frozenset({"paid", "failed", "rejected"})
# What an admin may set, from which statuses.
DECISIONS: dict[str, tuple[str, ...]] = {
    "approved": ("requested",),
    "rejected": ("requested", "approved"),
    "failed": ("approved",),
}
DEFAULT_REASONS = {"rejected": "Rejected by an administrator.", "failed": "Marked failed by an administrator."}


class PayoutHeld(Exception):
    """The store's payout account is not active: the payout stays approved and is tried again later."""

    retryable = True


def request_key(payout_id: str) -> str:
    return f"PAYOUT#{payout_id}#REQUEST"


def paid_key(payout_id: str) -> str:
    return f"PAYOUT#{payout_id}#PAID"


def return_key(payout_id: str) -> str:
    return f"PAYOUT#{payout_id}#RETURN"


def reversed_key(payout_id: str, reversal_id: str) -> str:
    return f"PAYOUT#{payout_id}#REVERSED#{reversal_id}"


def clawback_key(transfer_id: str, reversal_id: str) -> str:
    return f"CLAWBACK#{transfer_id}#{reversal_id}"


def is_clawback(reversal: dict[str, Any]) -> bool:
    """A reversal we asked for to recover a negative balance (souk.finance.service.clawbacks): its metadata
    names the Clawback."""
    metadata = reversal.get("metadata")
    return isinstance(metadata, dict) and bool(metadata.get("clawbackId"))


def reversal_key(payout_id: str, transfer_id: str, reversal: dict[str, Any]) -> str:
    """The business key of one reversal of a payout's transfer, the same whichever path books it first:
    ``CLAWBACK#<transferId>#<reversalId>`` for our claw-backs (the claw-back run and the
    ``transfer.reversed`` webhook both book them), ``PAYOUT#<id>#REVERSED#<reversalId>`` for
    reversals made at Stripe (a failed transfer, the dashboard), as before claw-backs existed."""
    if is_clawback(reversal):
        return clawback_key(transfer_id, str(reversal["id"]))
    return reversed_key(payout_id, str(reversal["id"]))


def reversal_entry(store_id: str, payout_id: str, currency: str, transfer_id: str, reversal: dict[str, Any], *,
                   memo: str | None = None) -> ledger.Entry:  # fmt: skip
    """The ledger move of one reversal (paid_out -> available) under :func:`reversal_key`."""
    amount = int(reversal["amount"])
    clawback = is_clawback(reversal)
    if clawback:
        memo = (f"Clawed back {display(amount, currency)} of the transfer {transfer_id} "
                f"(claw-back {reversal['metadata']['clawbackId']}).")  # fmt: skip
    return ledger.move(store_id, reversal_key(payout_id, transfer_id, reversal),
                       "clawback" if clawback else "payout_reversed", currency, amount=amount, source="paid_out",
                       target="available", payout_id=payout_id, memo=memo)  # fmt: skip


def _balance_label(store_id: str) -> str:
    return f"balance:{store_id}"  # souk.finance.store.ledger.post's label for the balance update


# ---------------------------------------------------------------- request


def checked_amount(request: PayoutRequest, currency: str) -> int:
    """The minor units to pay out: in the store's currency (else 400) and at least the minimum (else 422).

    ``funds.minimumPayout`` applies to stores that sell in its currency; in another currency a
    payout only has to be positive.
    """
    amount = amount_in(request.amount, currency, field="amount")
    minimum = admin_settings.current().funds.minimum_payout
    if minimum.currency == currency and amount < minimum.amount:
        raise UnprocessableEntity(f"The smallest payout is {display(minimum.amount, currency)}; "
                                  f"{display(amount, currency)} was asked.")  # fmt: skip
    if amount <= 0:
        raise UnprocessableEntity("A payout is a positive amount.")
    return amount


def _request(principal: Principal, store_id: str, currency: str, amount: int) -> PayoutOut:
    account = account_store.load_account(store_id, consistent=True)
    if account is None or account.status != "active":
        state = "none" if account is None else account.status
        raise UnprocessableEntity(f"Payouts need an active payout account (this store's is {state}): "
                                  "finish Stripe onboarding through "
                                  "POST /api/v1/stores/{storeId}/payout-account.")  # fmt: skip
    payout_id = new_id()
    item = store.new_payout(payout_id, store_id, principal.user_id, amount, currency)
    entry = ledger.move(store_id, request_key(payout_id), "payout", currency, amount=amount, source="available",
                        target="in_payout", payout_id=payout_id)  # fmt: skip

    def attempt() -> PayoutOut:
        try:
            with WriteTransaction() as tx:
                store.add_payout(tx, item)
                ledger_store.post(tx, entry, balance_condition=StoreBalance.available >= amount)
                audit.record(principal.actor, "payout.requested", "payout", payout_id, tx=tx,
                             after={"storeId": store_id, "amount": amount, "currency": currency,
                                    "status": "requested"})  # fmt: skip
        except TransactionCancelled as cancelled:
            if _balance_label(store_id) in cancelled.failed():
                raise InsufficientFunds(f"The store has less than {display(amount, currency)} available.") from None
            raise
        return payout_out(item)

    return retry_on_contention(attempt, attempts=MAX_ATTEMPTS, exhausted=lambda: Conflict(
        "Too many changes to this balance at once; retry shortly.", headers={"Retry-After": "1"}))  # fmt: skip


def request_payout(principal: Principal, store_id: str, request: PayoutRequest, *, idempotency_key: str | None = None,
                   context: LambdaContext | None = None) -> PayoutOut:  # fmt: skip
    """POST /stores/{storeId}/payouts: the amount leaves ``available`` at once, or nothing happens.

    Raises
    ------
    NotFound
        Another owner's store, or no such store.
    ValidationFailed
        The amount is not in the store's currency.
    UnprocessableEntity
        Below ``funds.minimumPayout``, or no active payout account.
    InsufficientFunds
        More than ``available``.
    IdempotencyConflict, Conflict
        The key was used with another body / is still in flight.
    """
    found = owned_store(principal, store_id)
    amount = checked_amount(request, found.currency)
    # Keys are scoped to the caller and the store: the same key on two stores is two requests.
    return idempotent_call(IDEMPOTENCY_SCOPE, f"{principal.user_id}#{store_id}", idempotency_key, request,
                           lambda: _request(principal, store_id, found.currency, amount), PayoutOut,
                           context=context)  # fmt: skip


# ---------------------------------------------------------------- reading


def list_payouts(principal: Principal, query: PayoutsQuery) -> tuple[list[PayoutOut], str | None]:
    """A page of payouts, newest first: a store owner's own (one store's with ``storeId``), an
    admin's choice of everyone's, a store's or a status's. At most one GetItem (the store) and one Query."""
    if query.store_id is not None:
        owned_store(principal, query.store_id)  # another owner's store is a 404
        found, cursor = store.payouts_page(owner_id=None, store_id=query.store_id, status=query.status,
                                           cursor=query.cursor, limit=query.limit)  # fmt: skip
    else:
        owner = None if principal.is_admin else principal.user_id
        found, cursor = store.payouts_page(owner_id=owner, store_id=None, status=query.status, cursor=query.cursor,
                                           limit=query.limit)  # fmt: skip
    return [payout_out(p) for p in found], cursor


# ---------------------------------------------------------------- money going back


def _give_back(tx: WriteTransaction, item: Payout, leaving: Sequence[str], status: str, reason: str,
               actor: Actor, action: str) -> None:  # fmt: skip
    """``item`` to ``rejected``/``failed`` with ``reason``, and its amount back to available, in ``tx``."""
    store.move(tx, item, leaving, status, [Payout.failure_reason.set(reason)])
    ledger_store.post(tx, ledger.move(item.store_id, return_key(item.payout_id), "payout_returned", item.currency,
                                      amount=int(item.amount), source="in_payout", target="available",
                                      payout_id=item.payout_id, memo=reason))  # fmt: skip
    audit.record(actor, action, "payout", item.payout_id, tx=tx, before={"status": item.status},
                 after={"status": status, "failureReason": reason, "returned": int(item.amount)})  # fmt: skip


# ---------------------------------------------------------------- admin decision


def decide(principal: Principal, payout_id: str, decision: PayoutDecision) -> PayoutOut:
    """PATCH /admin/payouts/{id}: approve (then queue), reject or mark failed (the amount returns).

    Raises
    ------
    NotFound
        No such payout.
    InvalidState
        The payout's status does not allow it (see :data:`DECISIONS`).
    """
    target = decision.status
    reason = decision.reason or DEFAULT_REASONS.get(target, "")

    def attempt() -> Payout:
        item = store.load_payout(payout_id)
        if item is None:
            raise NotFound("No such payout.")
        if item.status not in DECISIONS[target]:
            raise InvalidState(f"A payout that is {item.status} cannot become {target}.")
        now = utc_now()
        try:
            with WriteTransaction() as tx:
                if target == "approved":
                    store.move(tx, item, DECISIONS[target], "approved", [Payout.approved_at.set(now)])
                    audit.record(principal.actor, "payout.approved", "payout", payout_id, tx=tx,
                                 before={"status": item.status}, after={"status": "approved"})  # fmt: skip
                elif target == "rejected":
                    _give_back(tx, item, DECISIONS[target], "rejected", reason, principal.actor, "payout.rejected")
                else:
                    _give_back(tx, item, DECISIONS[target], "failed", reason, principal.actor, "payout.failed")
        except TransactionCancelled as cancelled:
            if store.PAYOUT_LABEL in cancelled.failed():
                raise Retry from cancelled  # it moved meanwhile (the worker, another admin): decide again
            raise
        return store.load_payout(payout_id) or item

    item = retry_on_contention(attempt, attempts=MAX_ATTEMPTS, exhausted=lambda: Conflict(
        "The payout is changing; retry shortly.", headers={"Retry-After": "1"}))  # fmt: skip
    if target == "approved":
        _enqueue(payout_id)
    return payout_out(item)


def _enqueue(payout_id: str) -> None:
    try:
        store.enqueue(payout_id)
    except store.EnqueueFailed:
        # The payout stays approved: the daily job queues approved payouts again (reconcile_processing_payouts).
        logger.exception("approved payout not queued", extra={"payout_id": payout_id})


# ---------------------------------------------------------------- the worker


def execute(payout_id: str) -> str:
    """Pay an approved payout through Stripe, once; what happened, for the log.

    Raises
    ------
    PayoutHeld
        The store's account is not active: the payout stays approved (SQS tries again later).
    UpstreamError, ServiceUnavailable
        Stripe's answer is unknown: the payout stays processing; the next try looks it up.
    """
    for _ in range(MAX_ATTEMPTS):
        item = store.load_payout(payout_id)
        if item is None:
            logger.warning("payout message for no payout", extra={"payout_id": payout_id})
            return "ignored: no such payout"
        if item.status in FINAL or item.status == "requested":
            return f"ignored: the payout is {item.status}"
        if item.status == "processing":
            return send(item, look_up=True)
        account = account_store.load_account(item.store_id, consistent=True)
        if account is None or account.status != "active":
            raise PayoutHeld(f"the store's payout account is {account.status if account else 'missing'}")
        now = utc_now()
        try:
            with WriteTransaction() as tx:
                store.move(tx, item, ("approved",), "processing", [
                    Payout.attempts.add(1), Payout.processing_at.set(now),
                    Payout.stripe_account_id.set(account.stripe_account_id)])  # fmt: skip
                audit.record(audit.SYSTEM, "payout.processing", "payout", payout_id, tx=tx,
                             before={"status": "approved"},
                             after={"status": "processing", "stripeAccountId": account.stripe_account_id})  # fmt: skip
        except TransactionCancelled as cancelled:
            if store.PAYOUT_LABEL in cancelled.failed() or set(cancelled.reasons.values()) <= {"TransactionConflict"}:
                continue  # another delivery moved it first: read it again
            raise
        item.status, item.stripe_account_id, item.processing_at = "processing", account.stripe_account_id, now
        # It was approved a moment ago, so no transfer of this group can exist yet: no lookup.
        return send(item, look_up=False)
    raise Conflict("The payout kept changing; it will be tried again.")


def send(item: Payout, *, look_up: bool) -> str:
    """The transfer of a processing payout: found at Stripe (``look_up``), else created; then recorded."""
    from souk.payments import gateway  # deferred for cold start: only the worker calls Stripe

    if look_up:
        found = gateway.find_transfer(item.payout_id)
        if found is not None:
            logger.info("payout transfer found at stripe", extra={"payout_id": item.payout_id,
                                                                  "transfer_id": found.get("id")})  # fmt: skip
            return record_paid(item, found)
    try:
        transfer = gateway.create_transfer(
            int(item.amount), item.currency, destination=str(item.stripe_account_id), transfer_group=item.payout_id,
            metadata={"payoutId": item.payout_id, "storeId": item.store_id}, idempotency_key=item.payout_id,
        )  # fmt: skip
    except gateway.TransferRefused as refused:
        return record_refused(item, refused.reason)
    return record_paid(item, transfer)


def record_paid(item: Payout, transfer: dict[str, Any]) -> str:
    """processing -> paid with the transfer id, and the amount from in_payout to paid_out, in one transaction."""
    transfer_id = str(transfer.get("id"))
    if int(transfer.get("amount") or 0) != int(item.amount) or transfer.get("currency") != item.currency:
        logger.error("payout transfer does not match the payout", extra={
            "payout_id": item.payout_id, "transfer_id": transfer_id,
            "transfer_amount": transfer.get("amount")})  # fmt: skip
    now = utc_now()
    try:
        with WriteTransaction() as tx:
            store.move(tx, item, ("processing",), "paid", [Payout.transfer_id.set(transfer_id), Payout.paid_at.set(now),
                                                           Payout.failure_reason.remove()])  # fmt: skip
            ledger_store.post(tx, ledger.move(item.store_id, paid_key(item.payout_id), "payout_paid", item.currency,
                                              amount=int(item.amount), source="in_payout", target="paid_out",
                                              payout_id=item.payout_id))  # fmt: skip
            audit.record(audit.SYSTEM, "payout.paid", "payout", item.payout_id, tx=tx, before={"status": "processing"},
                         after={"status": "paid", "transferId": transfer_id})  # fmt: skip
    except TransactionCancelled:
        fresh = store.load_payout(item.payout_id)
        if fresh is not None and fresh.status == "paid":
            return f"no change: already paid ({fresh.transfer_id})"
        raise
    return f"paid: {transfer_id}"


def record_refused(item: Payout, reason: str) -> str:
    """Stripe refused the transfer for good: processing -> failed, the amount back to available."""
    text = f"Stripe refused the transfer: {reason}"[:500]
    try:
        with WriteTransaction() as tx:
            _give_back(tx, item, ("processing",), "failed", text, audit.SYSTEM, "payout.failed")
    except TransactionCancelled:
        fresh = store.load_payout(item.payout_id)
        if fresh is not None and fresh.status in FINAL:
            return f"no change: already {fresh.status}"
        raise
    return f"failed: {text}"


# ---------------------------------------------------------------- transfer.reversed


def _reversals(transfer: dict[str, Any]) -> list[dict[str, Any]]:
    listed = (transfer.get("reversals") or {}).get("data") if isinstance(transfer.get("reversals"), dict) else None
    found = [r for r in listed or [] if isinstance(r, dict) and isinstance(r.get("id"), str)
             and isinstance(r.get("amount"), int) and r["amount"] > 0]  # fmt: skip
    return sorted(found, key=lambda r: (int(r.get("created") or 0), r["id"]))


def _book_reversal(item: Payout, reversal: dict[str, Any], transfer_id: str, *, final: bool) -> bool:
    """One reversal back to available, once; the payout failed when it completes a full reversal.
    Our own claw-back's reversal (:func:`is_clawback`) leaves the payout as it is: it was paid, and
    the money came back for a refund. False when it was booked already."""
    amount = int(reversal["amount"])
    clawback = is_clawback(reversal)
    reason = (f"Stripe reversed the transfer {transfer_id} in full." if final
              else f"Stripe reversed {display(amount, item.currency)} of the transfer {transfer_id}.")  # fmt: skip
    entry = reversal_entry(item.store_id, item.payout_id, item.currency, transfer_id, reversal, memo=reason)
    try:
        with WriteTransaction() as tx:
            ledger_store.post(tx, entry)
            if clawback:
                store.keep(tx, item, ("paid", "failed"), [])
            elif final:
                store.move(tx, item, ("paid", "failed"), "failed", [Payout.failure_reason.set(reason)])
            else:
                store.keep(tx, item, ("paid", "failed"), [Payout.failure_reason.set(reason)])
            status = "failed" if final and not clawback else item.status
            audit.record(STRIPE, "payout.reversed", "payout", item.payout_id, tx=tx, before={"status": item.status},
                         after={"status": status, "reversalId": reversal["id"], "returned": amount,
                                "businessKey": entry.business_key})  # fmt: skip
    except TransactionCancelled as cancelled:
        if ledger_store.entry_label(entry) in cancelled.failed():
            return False
        raise
    return True


def apply_transfer_reversed(tx: WriteTransaction, transfer: dict[str, Any], created: int) -> str:
    """``transfer.reversed``: every reversal of a payout's transfer back to available, once each.

    Each reversal is its own transaction (the entry :func:`reversal_key` is put once, whether
    this or the claw-back run books it first), so a second delivery, an event for an earlier
    reversal arriving late or two reversals in one event each count once. A payout not recorded paid yet (its worker is
    between the transfer and the write) answers 409, so that Stripe delivers the event again.
    """
    del tx, created  # the reversals are state on the transfer, booked by their own keys
    transfer_id = str(transfer.get("id") or "")
    payout_id = (transfer.get("metadata") or {}).get("payoutId") or transfer.get("transfer_group")
    item = store.load_payout(str(payout_id)) if isinstance(payout_id, str) and payout_id else None
    if item is None or (item.transfer_id and item.transfer_id != transfer_id):
        return "ignored: no payout of this transfer"
    if item.status in ("approved", "processing"):
        raise Conflict("The payout of this transfer is not recorded as paid yet; deliver the event again later.")
    if item.status not in ("paid", "failed"):
        return f"ignored: the payout is {item.status}"
    reversals = _reversals(transfer)
    keys = [reversal_key(item.payout_id, transfer_id, r) for r in reversals]
    posted = store.posted_entries(item.store_id, keys)
    fully = bool(transfer.get("reversed")) or int(transfer.get("amount_reversed") or 0) >= int(item.amount)
    booked = 0
    # Reversals made in the same second sort by id, so the one completing a full reversal is the last one
    # not booked yet, not necessarily the last listed.
    pending = [reversal for reversal, key in zip(reversals, keys, strict=True) if key not in posted]
    for index, reversal in enumerate(pending):
        final = fully and index == len(pending) - 1 and not is_clawback(reversal)
        if _book_reversal(item, reversal, transfer_id, final=final):
            booked += int(reversal["amount"])
        item = store.load_payout(item.payout_id) or item
    if not booked:
        return "no change: every reversal was booked already"
    return f"reversed: {display(booked, item.currency)} back to available, payout {item.status}"


# ---------------------------------------------------------------- the daily job


@dataclass
class PayoutReconciliation:
    """What :func:`reconcile_processing_payouts` did: payout id -> outcome."""

    resolved: dict[str, str] = field(default_factory=dict)
    unresolved: dict[str, str] = field(default_factory=dict)
    requeued: list[str] = field(default_factory=list)


def reconcile_processing_payouts(now: datetime) -> PayoutReconciliation:
    """Resolve payouts stuck in processing for more than :data:`STALE_AFTER` by looking their transfer up
    at Stripe (recorded paid when found, created once when Stripe has none), and queue again the
    approved payouts older than that (a message lost, or dead-lettered while the account was held).

    Reads the processing and approved payouts through gsi3 (a job, not a route: all pages).
    """
    cutoff = now - STALE_AFTER
    report = PayoutReconciliation()
    for item in store.older_than(store.payouts_in("processing"), cutoff, "processing_at"):
        try:
            report.resolved[item.payout_id] = send(item, look_up=True)
        except (SoukError, TransactionCancelled) as error:
            report.unresolved[item.payout_id] = type(error).__name__
            logger.warning("stuck payout not resolved", extra={"payout_id": item.payout_id,
                                                               "error_type": type(error).__name__})  # fmt: skip
    for item in store.older_than(store.payouts_in("approved"), cutoff, "approved_at"):
        try:
            store.enqueue(item.payout_id)
        except store.EnqueueFailed:
            logger.exception("approved payout not queued again", extra={"payout_id": item.payout_id})
            continue
        report.requeued.append(item.payout_id)
    return report
