"""Claw-backs: a store's negative ``available`` recovered by reversing its paid payouts' transfers at Stripe.

A refund (or a lost dispute) after the store's net was paid out leaves ``available``
negative: the store owes that much. :func:`recover` asks Stripe for it back:

- **Plan** (:func:`plan`, pure): the store's paid payouts newest first, each transfer only
  for what is still unreversed on it at Stripe (its ``amount_reversed``), in the balance's
  currency (a reversal is in the transfer's currency), up to the deficit in all. Transfers
  Stripe refused to reverse since the last daily run are left out (the daily run tries them
  again: ``retry_refused``).
- **One reversal at a time per store**: a :class:`~souk.finance.models.Clawback` is put
  (``sending``) and made the store's open claw-back in one transaction, on the condition
  that none is open, *before* Stripe is called; its id is the reversal's idempotency key
  (``clawback-<id>``) and its metadata ``clawbackId``. Two runs (the refund's, the daily
  job's) never reverse the same deficit twice.
- **Booked once**: the reversal moves its amount paid_out -> available under
  ``CLAWBACK#<transferId>#<reversalId>`` (:func:`souk.finance.service.payouts.reversal_key`),
  the key the ``transfer.reversed`` webhook uses for a reversal whose metadata names a
  claw-back: whichever books it first, the other finds the entry and books nothing.
- **Refused** (``TransferRefused``: the connected account cannot cover it,
  ``balance_insufficient``): the Clawback records why, ``available`` stays negative and
  later earnings net it off; that transfer is not tried again before the next daily run.
  An account that cannot cover one reversal cannot cover the next: the run stops there.
- **Unknown outcome** (timeout, 5xx): the claw-back stays open. A later run, once it is
  older than :data:`STALE_AFTER`, lists the transfer's reversals at Stripe and books the one
  whose metadata names it, or, when Stripe holds none, marks it ``abandoned`` and plans
  again from the balance as it is then: it never sends again blindly.

Entry points: :func:`recover_after_refund` (best effort, after a refund's transaction
committed: it never raises) and :func:`recover_negative_stores` (the daily finance job: every
store in the negative index, found with a Query, never a Scan).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from souk.audit import service as audit
from souk.caller import Actor
from souk.db.base import utc_now
from souk.db.transactions import TransactionCancelled, WriteTransaction
from souk.errors import SoukError
from souk.finance.models import Clawback
from souk.finance.service import payouts as payout_service
from souk.finance.store import clawbacks as store
from souk.finance.store import ledger as ledger_store
from souk.ids import new_id
from souk.money import display
from souk.observability import logger

SYSTEM = Actor(user_id="finance-clawbacks", role="system")
STALE_AFTER = timedelta(minutes=5)  # an open claw-back this old: its run is gone, look it up at Stripe
MAX_STEPS = 10  # reversals one run may ask for (each one transfer)
# Stripe's codes for a connected account whose balance cannot cover a reversal.
CANNOT_COVER = frozenset({"balance_insufficient", "insufficient_funds"})


@dataclass(frozen=True)
class Transferable:
    """A paid payout's transfer as Stripe has it now."""

    transfer_id: str
    payout_id: str
    currency: str
    amount: int
    amount_reversed: int = 0

    @property
    def unreversed(self) -> int:
        return max(0, self.amount - self.amount_reversed)


def plan(deficit: int, transfers: Sequence[Transferable], *, currency: str,
         skip: Collection[str] = ()) -> list[tuple[Transferable, int]]:  # fmt: skip
    """Which transfers to reverse, and how much of each, to recover ``deficit``.

    ``transfers`` newest first; each is taken for at most what is still unreversed on it, in
    order, until the deficit is covered; a transfer in another currency than ``currency`` or
    in ``skip`` is passed over. The amounts sum to at most ``deficit`` (less when the
    transfers hold less).
    """
    left = max(0, deficit)
    steps: list[tuple[Transferable, int]] = []
    for transfer in transfers:
        if left <= 0:
            break
        if transfer.currency != currency or transfer.transfer_id in skip or transfer.unreversed <= 0:
            continue
        take = min(left, transfer.unreversed)
        steps.append((transfer, take))
        left -= take
    return steps


@dataclass
class Recovery:
    """What one :func:`recover` run did."""

    store_id: str
    outcome: str = "not negative"  # not negative | recovered | negative | busy | unknown
    reversed: int = 0  # minor units booked back to available by this run
    currency: str | None = None
    available: int | None = None  # after the run (None: no balance)
    reversals: list[str] = field(default_factory=list)  # Stripe reversal ids booked
    refused: dict[str, str] = field(default_factory=dict)  # transfer id -> Stripe's reason

    def as_dict(self) -> dict[str, Any]:
        return {"storeId": self.store_id, "outcome": self.outcome, "reversed": self.reversed,
                "currency": self.currency, "available": self.available, "reversals": list(self.reversals),
                "refused": dict(self.refused)}  # fmt: skip


class _Candidates:
    """The store's paid transfers newest first, read from DynamoDB and Stripe only as far as a plan needs."""

    def __init__(self, store_id: str) -> None:
        self._payouts = store.paid_payouts(store_id)
        self._seen: list[Transferable] = []
        self._done = False

    def enough(self, deficit: int, currency: str, skip: Collection[str]) -> list[Transferable]:
        from souk.payments import gateway  # deferred for cold start: refund routes import this module

        while not self._done and sum(t.unreversed for t in self._seen
                                     if t.currency == currency and t.transfer_id not in skip) < deficit:  # fmt: skip
            payout = next(self._payouts, None)
            if payout is None:
                self._done = True
                break
            found = gateway.retrieve_transfer(str(payout.transfer_id))
            if found is None:
                logger.warning("a paid payout's transfer is unknown at stripe",
                               extra={"payout_id": payout.payout_id, "transfer_id": payout.transfer_id})  # fmt: skip
                continue
            self._seen.append(
                Transferable(
                    str(found["id"]),
                    payout.payout_id,
                    str(found.get("currency")),
                    int(found.get("amount") or 0),
                    int(found.get("amount_reversed") or 0),
                )
            )
        return list(self._seen)

    def reversed(self, transfer_id: str, amount: int) -> None:
        self._seen = [Transferable(t.transfer_id, t.payout_id, t.currency, t.amount, t.amount_reversed + amount)
                      if t.transfer_id == transfer_id else t for t in self._seen]  # fmt: skip


# ---------------------------------------------------------------- writes


def _audit_after(item: Clawback, **more: Any) -> dict[str, Any]:
    return {"storeId": item.store_id, "payoutId": item.payout_id, "transferId": item.transfer_id,
            "amount": int(item.amount), "currency": item.currency, **more}  # fmt: skip


def _open(item: Clawback) -> bool:
    """Put ``item`` as the store's open claw-back; False when another one is open (another run)."""
    try:
        with WriteTransaction() as tx:
            store.open_clawback(tx, item)
            audit.record(SYSTEM, "clawback.opened", "clawback", item.clawback_id, tx=tx,
                         after=_audit_after(item, status="sending", deficit=int(item.deficit)))  # fmt: skip
    except TransactionCancelled as cancelled:
        if store.STATE_LABEL in cancelled.failed():
            return False
        raise
    return True


def _book(item: Clawback, reversal: dict[str, Any], refused: dict[str, str]) -> None:
    """The reversal booked (paid_out -> available, once) and ``item`` settled ``reversed``, in one transaction.

    The entry may be there already (the ``transfer.reversed`` webhook booked it first): the
    claw-back is then settled alone. Settled already (another run): nothing."""
    entry = payout_service.reversal_entry(item.store_id, item.payout_id, item.currency, item.transfer_id, reversal)
    amount = int(reversal["amount"])
    actions = [Clawback.reversal_id.set(str(reversal["id"])), Clawback.reversed_amount.set(amount)]

    def write(with_entry: bool) -> None:
        with WriteTransaction() as tx:
            if with_entry:
                ledger_store.post(tx, entry)
            store.settle(tx, item, "reversed", actions, refused=refused)
            audit.record(SYSTEM, "clawback.reversed", "clawback", item.clawback_id, tx=tx, before={"status": "sending"},
                         after=_audit_after(item, status="reversed", reversalId=reversal["id"], reversed=amount,
                                            businessKey=entry.business_key, bookedHere=with_entry))  # fmt: skip

    try:
        write(True)
    except TransactionCancelled as cancelled:
        failed = cancelled.failed()
        if store.CLAWBACK_LABEL in failed:
            return  # settled by another run
        if ledger_store.entry_label(entry) not in failed:
            raise
        try:
            write(False)
        except TransactionCancelled as again:
            if store.CLAWBACK_LABEL not in again.failed():
                raise


def _settle_without(item: Clawback, status: str, reason: str, code: str | None, refused: dict[str, str]) -> None:
    """``item`` settled ``refused`` or ``abandoned`` with ``reason``: nothing was taken back."""
    try:
        with WriteTransaction() as tx:
            actions = [Clawback.failure_reason.set(reason[:500])]
            if code:
                actions.append(Clawback.stripe_code.set(code))
            store.settle(tx, item, status, actions, refused=refused)
            action = "clawback.refused" if status == "refused" else "clawback.abandoned"
            audit.record(SYSTEM, action, "clawback", item.clawback_id, tx=tx,
                         before={"status": "sending"},
                         after=_audit_after(item, status=status, failureReason=reason[:500],
                                            stripeCode=code))  # fmt: skip
    except TransactionCancelled as cancelled:
        if store.CLAWBACK_LABEL not in cancelled.failed():
            raise


def _metadata(item: Clawback) -> dict[str, str]:
    return {"clawbackId": item.clawback_id, "storeId": item.store_id, "payoutId": item.payout_id}


# ---------------------------------------------------------------- one run


def _resolve_open(store_id: str, clawback_id: str, refused: dict[str, str]) -> tuple[str, dict[str, Any] | None]:
    """An open claw-back left by a run that is gone: the reversal Stripe holds for it booked, or, when it
    holds none, the claw-back abandoned. ``(status, reversal)``.

    Raises
    ------
    UpstreamError, ServiceUnavailable
        Stripe could not list the transfer's reversals: it stays open.
    """
    from souk.payments import gateway  # deferred for cold start: refund routes import this module

    item = store.load_clawback(store_id, clawback_id)
    if item is None or item.status != "sending":
        return (item.status if item else "missing"), None
    found = [r for r in gateway.list_transfer_reversals(item.transfer_id)
             if (r.get("metadata") or {}).get("clawbackId") == clawback_id]  # fmt: skip
    if found:
        refused.pop(item.transfer_id, None)
        _book(item, found[0], refused)
        return "reversed", found[0]
    _settle_without(item, "abandoned", "Stripe holds no reversal of this claw-back: nothing was taken back.",
                    None, refused)  # fmt: skip
    return "abandoned", None


def recover(store_id: str, *, now: datetime | None = None, retry_refused: bool = False) -> Recovery:
    """Recover the store's negative ``available`` by reversing its paid transfers (see the module).

    ``retry_refused``: try again the transfers Stripe refused to reverse (the daily run);
    otherwise they wait for it. Stripe being unreachable ends the run with outcome
    ``unknown`` (a claw-back may be left open for a later run to look up); DynamoDB errors raise.
    """
    now = now or utc_now()
    report = Recovery(store_id)
    state = store.load_state(store_id)
    refused: dict[str, str] = {} if retry_refused or state is None else dict(state.refused or {})
    skip: set[str] = set(refused)
    try:
        if state is not None and state.open_id:
            if state.opened_at is not None and state.opened_at > now - STALE_AFTER:
                report.outcome = "busy"
                return report
            _, reversal = _resolve_open(store_id, state.open_id, refused)
            if reversal is not None:
                report.reversed += int(reversal["amount"])
                report.reversals.append(str(reversal["id"]))
        elif retry_refused and state is not None and state.refused:
            store.set_refused(store_id, refused)  # the daily run: every transfer may be tried again
        _run(store_id, report, refused, skip)
    except SoukError as error:  # Stripe failed or could not be reached (TransferRefused is handled in _run)
        logger.warning("claw-back stopped: stripe unavailable", extra={"store_id": store_id,
                                                                      "error_type": type(error).__name__})  # fmt: skip
        report.outcome = "unknown"
    balance = ledger_store.load_balance(store_id, consistent=True)
    report.available = int(balance.available) if balance is not None else None
    report.currency = balance.currency if balance is not None else None
    return report


def _run(store_id: str, report: Recovery, refused: dict[str, str], skip: set[str]) -> None:
    from souk.payments import gateway  # deferred for cold start: refund routes import this module

    candidates = _Candidates(store_id)
    for _ in range(MAX_STEPS):
        balance = ledger_store.load_balance(store_id, consistent=True)
        if balance is None or int(balance.available) >= 0:
            if balance is not None and balance.gsi1pk:
                store.clear_negative(store_id)
            report.outcome = "recovered" if report.reversed else "not negative"
            return
        deficit, currency = -int(balance.available), balance.currency
        steps = plan(deficit, candidates.enough(deficit, currency, skip), currency=currency, skip=skip)
        report.outcome = "negative"
        if not steps:
            return  # nothing left to reverse (or refused): later earnings net it off
        transfer, amount = steps[0]
        item = store.new_clawback(new_id(), store_id, payout_id=transfer.payout_id, transfer_id=transfer.transfer_id,
                                  amount=amount, currency=currency, deficit=deficit)  # fmt: skip
        if not _open(item):
            report.outcome = "busy"
            return
        try:
            reversal = gateway.reverse_transfer(transfer.transfer_id, amount, metadata=_metadata(item),
                                                idempotency_key=f"clawback-{item.clawback_id}")  # fmt: skip
        except gateway.TransferRefused as refusal:
            refused[transfer.transfer_id] = utc_now().isoformat()
            skip.add(transfer.transfer_id)
            report.refused[transfer.transfer_id] = refusal.reason
            _settle_without(item, "refused", f"Stripe refused to reverse {display(amount, currency)} of "
                                             f"{transfer.transfer_id}: {refusal.reason}", refusal.stripe_code,
                            refused)  # fmt: skip
            logger.info("claw-back refused", extra={"store_id": store_id, "transfer_id": transfer.transfer_id,
                                                    "stripe_code": refusal.stripe_code})  # fmt: skip
            if refusal.stripe_code in CANNOT_COVER:
                return  # the account's balance cannot cover it: no other transfer of it can either
            continue
        refused.pop(transfer.transfer_id, None)
        _book(item, reversal, refused)
        candidates.reversed(transfer.transfer_id, int(reversal["amount"]))
        report.reversed += int(reversal["amount"])
        report.reversals.append(str(reversal["id"]))


# ---------------------------------------------------------------- entry points


def recover_after_refund(store_id: str) -> None:
    """After a refund's transaction committed: :func:`recover`, best effort (errors are logged, never raised:
    the refund stands whatever happens here, and the daily job tries again)."""
    try:
        result = recover(store_id)
    except Exception:
        logger.exception("claw-back after a refund failed", extra={"store_id": store_id})
        return
    if result.outcome != "not negative":
        logger.info("claw-back after a refund", extra={"clawback": result.as_dict()})


def recover_negative_stores(now: datetime, exhausted: Callable[[], bool] = lambda: False) -> dict[str, Any]:
    """The daily job's step: :func:`recover` (refused transfers tried again) for every store in the negative
    index; its counts. A store cleared to 0 leaves the index; one still negative stays for the next run."""
    counts: dict[str, Any] = {"stores": 0, "recovered": 0, "negative": 0, "busy": 0, "unresolved": 0,
                              "amount": {}, "complete": True}  # fmt: skip
    found: Iterator[str] = store.negative_stores()
    for store_id in found:
        if exhausted():
            counts["complete"] = False
            break
        counts["stores"] += 1
        try:
            result = recover(store_id, now=now, retry_refused=True)
        except (SoukError, TransactionCancelled) as error:
            counts["unresolved"] += 1
            logger.warning("claw-back not run", extra={"store_id": store_id, "error_type": type(error).__name__})
            continue
        if result.outcome in ("recovered", "not negative"):
            counts["recovered"] += 1
        elif result.outcome == "busy":
            counts["busy"] += 1
        elif result.outcome == "unknown":
            counts["unresolved"] += 1
        else:
            counts["negative"] += 1
        if result.reversed and result.currency:
            counts["amount"][result.currency] = counts["amount"].get(result.currency, 0) + result.reversed
    return counts
