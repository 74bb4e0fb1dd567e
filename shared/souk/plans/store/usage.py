"""Usage items: one per subscriber and billing period, counters raised by ADD under a condition,
each use counted once through a marker item put in the same transaction (``attribute_not_exists``).

Labels of the transactions: :data:`MARK_LABEL` (this id was counted before: nothing changes) and
:data:`USAGE_LABEL` (the limit is reached, or the period's item lacks its key map: see
:func:`count_call`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from souk.db.base import utc_now
from souk.db.transactions import WriteTransaction
from souk.plans import keys
from souk.plans.models import Usage, UsageMark
from souk.plans.rules import period_key

MARK_LABEL = "usage-mark"
USAGE_LABEL = "usage"
KEPT = timedelta(days=366)  # a period's usage is kept a year after it ended (then TTL)


def _item(subscriber: str, start: datetime) -> Usage:
    return Usage(pk=keys.usage(subscriber), sk=keys.period(period_key(start)))


def get(subscriber: str, start: datetime) -> Usage | None:
    """The period's usage (one GetItem), None before anything was counted in it."""
    try:
        return Usage.get(keys.usage(subscriber), keys.period(period_key(start)))
    except DoesNotExist:
        return None


def _upsert(subscriber: str, start: datetime, end: datetime, now: datetime) -> list[Action]:
    """What an update also sets on an item it creates: discriminator, owner, period, timestamps, TTL."""
    return [Usage.entity.set(Usage), Usage.subscriber.set(subscriber), Usage.period_start.set(start),
            Usage.period_end.set(end), Usage.created_at.set(Usage.created_at | now), Usage.updated_at.set(now),
            Usage.expires_at.set(end + KEPT)]  # fmt: skip


def _mark(tx: WriteTransaction, subscriber: str, kind: str, ident: str, expires: datetime, now: datetime) -> None:
    mark = UsageMark(pk=keys.usage(subscriber), sk=keys.mark(kind, ident), subscriber=subscriber, kind=kind,
                     created_at=now, updated_at=now, expires_at=expires)  # fmt: skip
    tx.put(mark, UsageMark.pk.does_not_exist(), label=MARK_LABEL)


def add_export(subscriber: str, ident: str, start: datetime, end: datetime, limit: int | None) -> None:
    """Count one export of ``ident`` in the period, only below ``limit`` (None: unlimited) and only once.

    Raises :class:`souk.db.transactions.TransactionCancelled` (labels above).
    """
    now = utc_now()
    below: Condition | None = None if limit is None else (Usage.exports.does_not_exist() | (Usage.exports < limit))
    actions = [Usage.exports.add(1), Usage.api_calls_by_key.set(Usage.api_calls_by_key | {}),
               *_upsert(subscriber, start, end, now)]  # fmt: skip
    with WriteTransaction() as tx:
        _mark(tx, subscriber, "exports", ident, end + KEPT, now)
        tx.update(_item(subscriber, start), actions, below, label=USAGE_LABEL, add_version_condition=False)


def count_call(subscriber: str, key_id: str, request_id: str, start: datetime, end: datetime,
               mark_for: timedelta) -> None:  # fmt: skip
    """Count one API call with ``key_id`` once per ``request_id`` (its marker kept ``mark_for``).

    The per-key counter is a map entry, raised by ``ADD apiCallsByKey.<key>``: the map must exist, so
    the update is conditional on it (fails on :data:`USAGE_LABEL` in a period's first call; then
    :func:`open_period` and try again).
    """
    now = utc_now()
    per_key = Usage.api_calls_by_key[key_id]  # a Path to the map entry (typed as the value in the stubs)
    actions = [Usage.api_calls.add(1), per_key.add(1), *_upsert(subscriber, start, end, now)]  # type: ignore[attr-defined]
    with WriteTransaction() as tx:
        _mark(tx, subscriber, "call", request_id, now + mark_for, now)
        tx.update(_item(subscriber, start), actions, Usage.api_calls_by_key.exists(), label=USAGE_LABEL,
                  add_version_condition=False)  # fmt: skip


def open_period(subscriber: str, start: datetime, end: datetime) -> None:
    """Create the period's item with its empty key map (a no-op on an existing one: ``if_not_exists``)."""
    now = utc_now()
    _item(subscriber, start).update([Usage.api_calls_by_key.set(Usage.api_calls_by_key | {}),
                                     *_upsert(subscriber, start, end, now)], add_version_condition=False)  # fmt: skip


def remove_export(subscriber: str, ident: str, start: datetime) -> None:
    """Undo :func:`add_export` of ``ident`` (its job was never queued): the marker deleted and 1 taken off,
    only while the marker is there (an undo retried takes nothing off twice; fails on :data:`MARK_LABEL`)."""
    mark = UsageMark(pk=keys.usage(subscriber), sk=keys.mark("exports", ident))
    with WriteTransaction() as tx:
        tx.delete(mark, UsageMark.pk.exists(), label=MARK_LABEL)
        tx.update(_item(subscriber, start), [Usage.exports.add(-1), Usage.updated_at.set(utc_now())],
                  Usage.exports > 0, label=USAGE_LABEL, add_version_condition=False)  # fmt: skip
