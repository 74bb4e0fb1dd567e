"""Usage per billing period (exports, API calls by key), counted idempotently.

The period is the subscriber's current one (:func:`souk.plans.service.entitlements.current`: the
subscription's period rolled on monthly from its anchor, or the UTC calendar month on Free); the
counters live on one item per period (:mod:`souk.plans.store.usage`), so a new period starts at 0
without any reset job, and :func:`of` is one GetItem.

- :func:`reserve`: one use of a limited resource (an export), named by an idempotency id (the
  export's id). One transaction puts a marker for the id (``attribute_not_exists``) and raises the
  counter only while it is below the limit (``exports < :limit``): concurrent reserves never pass
  the limit, and the same id twice counts once. :func:`release` gives a use back when its work never
  started (the export's job could not be queued), once.
- :func:`count_api_call`: a request made with an API key, once per request id (a marker that
  lives an hour: retries of one request come within it). One transaction of two items per call,
  no read.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from souk.db.transactions import Retry, TransactionCancelled, retry_on_contention
from souk.errors import Conflict
from souk.plans.service import entitlements
from souk.plans.service.entitlements import Granted, Subscriber
from souk.plans.store import usage as store

CALL_MARK_FOR = timedelta(hours=1)
MAX_ATTEMPTS = 8  # transactions tried again after another writer of the period's item got there first
# The limit each counted resource is checked against.
LIMIT_OF = {"exports": "exportsPerMonth"}


def _busy() -> Conflict:
    return Conflict("Your usage is changing right now; retry.", headers={"Retry-After": "1"})


def reserve(subscriber: Subscriber, kind: Literal["exports"], idempotency_id: str, limit: int | None = None, *,
            granted: Granted | None = None) -> bool:  # fmt: skip
    """Count one ``kind`` use named ``idempotency_id`` in the current period, within the plan's limit.

    ``limit``: the most uses in the period (None: the granted plan's, unlimited when it has none).
    Returns True when counted now, False when this id was counted before (a retry).

    Raises
    ------
    Forbidden
        The period's uses already reached the limit (403, ``details`` naming it).
    """
    found = granted or entitlements.current(subscriber)
    name = LIMIT_OF[kind]
    cap = limit if limit is not None else found.limit(name)

    def attempt() -> bool:
        try:
            store.add_export(subscriber.key, idempotency_id, found.period_start, found.period_end, cap)
        except TransactionCancelled as cancelled:
            failed = cancelled.failed()
            if store.MARK_LABEL in failed:
                return False
            if store.USAGE_LABEL in failed and cap is not None:
                raise entitlements.limit_reached(name, cap, found.plan) from None
            raise  # contention (another reserve on the item): tried again
        return True

    return retry_on_contention(attempt, attempts=MAX_ATTEMPTS, exhausted=_busy)


def release(subscriber: Subscriber, kind: Literal["exports"], idempotency_id: str, *,
            granted: Granted | None = None) -> bool:  # fmt: skip
    """Give back a use :func:`reserve` counted whose work never started (its job could not be queued).

    Returns False when nothing was reserved under this id in the period (or it was given back already).
    """
    found = granted or entitlements.current(subscriber)

    def attempt() -> bool:
        try:
            store.remove_export(subscriber.key, idempotency_id, found.period_start)
        except TransactionCancelled as cancelled:
            if cancelled.failed():
                return False
            raise  # contention: tried again
        return True

    return retry_on_contention(attempt, attempts=MAX_ATTEMPTS, exhausted=_busy)


def count_api_call(subscriber: Subscriber, key_id: str, request_id: str, *,
                   now: datetime | None = None) -> bool:  # fmt: skip
    """Count one call made with API key ``key_id``; False when ``request_id`` was counted already."""
    found = entitlements.current(subscriber, now=now)

    def attempt() -> bool:
        try:
            store.count_call(subscriber.key, key_id, request_id, found.period_start, found.period_end,
                             CALL_MARK_FOR)  # fmt: skip
        except TransactionCancelled as cancelled:
            failed = cancelled.failed()
            if store.MARK_LABEL in failed:
                return False
            if store.USAGE_LABEL not in failed:
                raise  # contention: tried again
            store.open_period(subscriber.key, found.period_start, found.period_end)  # the period's first call
            raise Retry from None
        return True

    return retry_on_contention(attempt, attempts=MAX_ATTEMPTS, exhausted=_busy)


def of(subscriber: Subscriber, *, granted: Granted | None = None) -> dict[str, Any]:
    """The current period's usage: ``periodStart``, ``periodEnd``, ``exports``, ``apiCalls``, ``apiCallsByKey``."""
    found = granted or entitlements.current(subscriber)
    item = store.get(subscriber.key, found.period_start)
    by_key = {str(k): int(v) for k, v in (item.api_calls_by_key.as_dict() if item else {}).items()}
    return {"periodStart": found.period_start, "periodEnd": found.period_end,
            "exports": int(item.exports) if item else 0, "apiCalls": int(item.api_calls) if item else 0,
            "apiCallsByKey": by_key}  # fmt: skip
