"""Commissions in the table: the item per paid order, its release index and the daily job's cursor.

| item | pk | sk | GSIs |
|---|---|---|---|
| Commission | FINANCE#<storeId> | COMMISSION#<orderId> | gsi1 RELEASE#<day> / <availableAt>#<storeId>#<orderId> |
| JobCursor (``finance_daily``) | JOB#finance_daily | CURSOR | |

The release index entry exists from delivery until the release; ``<day>`` is the UTC day
(``yyyy-mm-dd``) of ``availableAt``, which the sort key holds as a fixed-width stamp.

Every change of a Commission is conditioned on the version read (label
``commission:<orderId>``): a refund, the delivery and the release never apply on a
stale copy. The delivery's update is the exception: it only adds dates and the index
entry, so it is conditioned on the commission not being released yet instead.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import DoesNotExist, PutError

from souk.db.base import utc_now
from souk.db.expiry import stamp
from souk.db.paging import decode_cursor_for, encode_cursor, one_page
from souk.finance.keys import COMMISSION_PREFIX, commission_sort, release_day, store_finance
from souk.finance.models import Commission
from souk.jobs import keys
from souk.jobs.models import JobCursor

if TYPE_CHECKING:
    from souk.db.transactions import WriteTransaction
    from souk.finance.schemas import CommissionsQuery

COMMISSION_LABEL_PREFIX = "commission:"
DUE_PAGE_SIZE = 100


def label(order_id: str) -> str:
    return f"{COMMISSION_LABEL_PREFIX}{order_id}"


def new_commission(store_id: str, order_id: str, currency: str, lines: list[dict[str, Any]], *, gross: int,
                   commission: int, net: int, delivery_fee: int, paid_at: datetime) -> Commission:  # fmt: skip
    return Commission(pk=store_finance(store_id), sk=commission_sort(order_id), store_id=store_id, order_id=order_id,
                      currency=currency, lines=lines, gross=gross, commission=commission, net=net,
                      delivery_fee=delivery_fee, status="pending", reversals={}, released=0, paid_at=paid_at,
                      created_at=paid_at, updated_at=paid_at)  # fmt: skip


def put_new(tx: WriteTransaction, item: Commission) -> None:
    """The commission, only if the order has none yet."""
    tx.put(item, Commission.pk.does_not_exist(), label=label(item.order_id))


def load(store_id: str, order_id: str) -> Commission | None:
    """The order's commission (consistent GetItem), None for an order that has none."""
    try:
        return Commission.get(store_finance(store_id), commission_sort(order_id), consistent_read=True)
    except DoesNotExist:
        return None


def release_sort(available_at: datetime, store_id: str, order_id: str) -> str:
    return f"{stamp(available_at)}#{store_id}#{order_id}"


def mark_delivered(tx: WriteTransaction, *, commission: Commission, delivered_at: datetime,
                   available_at: datetime) -> None:  # fmt: skip
    """``deliveredAt``, ``availableAt`` and the release index entry of the day it falls on."""
    actions = [
        Commission.delivered_at.set(delivered_at),
        Commission.available_at.set(available_at),
        Commission.gsi1pk.set(release_day(available_at.date().isoformat())),
        Commission.gsi1sk.set(release_sort(available_at, commission.store_id, commission.order_id)),
        Commission.updated_at.set(utc_now()),
    ]
    tx.update(commission, actions, Commission.released == 0, label=label(commission.order_id),
              add_version_condition=False)  # fmt: skip


def record_reversal(tx: WriteTransaction, commission: Commission, refund_id: str, record: dict[str, Any], *,
                    lines: list[dict[str, Any]], gross: int, commission_amount: int, net: int, delivery_fee: int = 0,
                    status: str) -> None:  # fmt: skip
    """The reversed amounts added, the refund's reversal remembered, the status; on the version read."""
    actions = [
        Commission.lines.set(lines),
        Commission.reversed_gross.add(gross),
        Commission.reversed_commission.add(commission_amount),
        Commission.reversed_net.add(net),
        Commission.reversed_delivery_fee.add(delivery_fee),
        Commission.reversals.set({**(commission.reversals or {}), refund_id: record}),
        Commission.status.set(status),
        Commission.updated_at.set(utc_now()),
    ]
    tx.update(commission, actions, label=label(commission.order_id))


def record_undo(tx: WriteTransaction, commission: Commission, refund_id: str, *, lines: list[dict[str, Any]],
                gross: int, commission_amount: int, net: int, delivery_fee: int = 0,
                status: str) -> None:  # fmt: skip
    """A failed refund's reversal taken off again; on the version read."""
    actions = [
        Commission.lines.set(lines),
        Commission.reversed_gross.add(-gross),
        Commission.reversed_commission.add(-commission_amount),
        Commission.reversed_net.add(-net),
        Commission.reversed_delivery_fee.add(-delivery_fee),
        Commission.reversals.set({k: v for k, v in (commission.reversals or {}).items() if k != refund_id}),
        Commission.status.set(status),
        Commission.updated_at.set(utc_now()),
    ]
    tx.update(commission, actions, label=label(commission.order_id))


def mark_released(tx: WriteTransaction, commission: Commission, *, status: str, now: datetime) -> None:
    """Released (out of the index), if still unreleased and due; on the version read."""
    actions = [Commission.released.set(1), Commission.status.set(status), Commission.gsi1pk.remove(),
               Commission.gsi1sk.remove(), Commission.updated_at.set(now)]  # fmt: skip
    tx.update(commission, actions, (Commission.released == 0) & (Commission.available_at <= now),
              label=label(commission.order_id))  # fmt: skip


def due_page(day: str, now: datetime, start: dict[str, Any] | None) -> tuple[list[Commission], dict[str, Any] | None]:
    """One page (a Query) of the commissions of the release index's ``day`` due before ``now``."""
    result = Commission.gsi1.query(release_day(day), Commission.gsi1sk < stamp(now), page_size=DUE_PAGE_SIZE,
                                   last_evaluated_key=start)  # fmt: skip
    found, last_key = one_page(Commission, result)
    return [item for item in found if isinstance(item, Commission)], last_key


def page(store_id: str, query: CommissionsQuery) -> tuple[list[Commission], str | None]:
    """One page (a Query) of a store's commissions, newest order first, ``status`` as a filter."""
    partition = store_finance(store_id)
    start = decode_cursor_for(query.cursor, "pk", partition)
    result = Commission.query(partition, Commission.sk.startswith(COMMISSION_PREFIX),
                              filter_condition=(Commission.status == query.status) if query.status else None,
                              scan_index_forward=False, page_size=query.limit, last_evaluated_key=start)  # fmt: skip
    found, last_key = one_page(Commission, result)
    return [item for item in found if isinstance(item, Commission)], encode_cursor(last_key)


def release_cursor(job: str) -> str | None:
    """The last day (``yyyy-mm-dd``) the daily release finished, None before its first run."""
    try:
        return JobCursor.get(keys.job(job), keys.JOB_CURSOR, consistent_read=True).last_bucket
    except DoesNotExist:
        return None


def save_release_cursor(job: str, day: str) -> None:
    """Never backwards: a slower duplicate run must not rewind it."""
    try:
        JobCursor(pk=keys.job(job), sk=keys.JOB_CURSOR, last_bucket=day).save(
            condition=JobCursor.pk.does_not_exist() | (JobCursor.last_bucket < day)
        )
    except PutError as error:
        if getattr(error, "cause_response_code", None) != "ConditionalCheckFailedException":
            raise
