"""Coupons: CRUD for admins and store owners, and the use counters checkout adds to its transaction.

A coupon is one item ``COUPON#<CODE>`` / ``COUPON`` (codes are case-insensitive, stored
upper-case); each customer's use count is a :class:`~souk.cart.models.CouponUse` in the
same partition. Checkout counts a use with :func:`use_coupon`: two conditional ADDs in its
own transaction, so ``maxUses`` and ``perUserLimit`` hold under any concurrency, and an
order that is cancelled or expires unpaid gives the use back with :func:`release_coupon`.

The PATCH rules (:func:`patched_values`) and the currency rules of a new coupon
(:func:`coupon_money`) are plain functions over loaded values.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from souk.audit import service as audit
from souk.caller import ensure_owner
from souk.cart import store
from souk.cart.discounts import value_problem
from souk.cart.models import Coupon
from souk.cart.schemas import CouponIn, CouponListQuery, CouponOut, CouponPatch, coupon_out
from souk.catalog.service import stores
from souk.db.base import utc_now
from souk.db.transactions import WriteTransaction, retry_on_contention
from souk.errors import Conflict, NotFound, UnprocessableEntity, ValidationFailed
from souk.money import Money, amount_in

if TYPE_CHECKING:
    from souk.caller import Principal

MAX_SAVE_ATTEMPTS = 10  # a PATCH/DELETE re-reads when a checkout counted a use between its read and its save
# What a versioned save loses to such a checkout: retried from a fresh read.
_SAVE_RACES = frozenset({"ConditionalCheckFailed", "TransactionConflict"})
_PATCHABLE = ("value", "min_subtotal", "max_uses", "per_user_limit", "starts_at", "ends_at")


# ---------------------------------------------------------------- rules: plain functions over loaded values


def _check_value(coupon: Coupon, value: int | Money) -> int:
    """The stored value (percent, or minor units in the coupon's currency) of a PATCHed ``value``."""
    problem = value_problem(coupon.type, value)
    if problem:
        raise ValidationFailed.field("value", problem)
    if isinstance(value, Money):
        return amount_in(value, str(coupon.currency), field="value")
    return value


def _check_minimum(coupon: Coupon, minimum: Money) -> tuple[int, str | None]:
    """The stored minimum and the coupon's currency after a PATCHed ``minSubtotal``.

    A coupon without a currency (platform-wide percent, no minimum) takes the minimum's.
    """
    if coupon.currency is None:
        return minimum.amount, (minimum.currency if minimum.amount else None)
    return amount_in(minimum, coupon.currency, field="minSubtotal"), coupon.currency


def _check_window(starts_at: datetime | None, ends_at: datetime | None) -> None:
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        raise ValidationFailed.field("endsAt", "Must be after startsAt.")


def patched_values(coupon: Coupon, changes: dict[str, Any]) -> dict[str, Any]:
    """The attributes to store for a PATCH of ``coupon`` (``changes``: the fields sent, by attribute name).

    Raises
    ------
    ValidationFailed
        A value out of range for the coupon's type; money in another currency than the coupon's
        (``value.currency``, ``minSubtotal.currency``); ``endsAt`` not after ``startsAt``.
    UnprocessableEntity
        ``maxUses`` below the uses already counted.
    """
    stored = dict(changes)
    if "value" in changes:
        stored["value"] = _check_value(coupon, changes["value"])
    if "min_subtotal" in changes:
        stored["min_subtotal"], stored["currency"] = _check_minimum(coupon, changes["min_subtotal"])
    _check_window(changes.get("starts_at", coupon.starts_at), changes.get("ends_at", coupon.ends_at))
    max_uses = changes.get("max_uses", coupon.max_uses)
    if max_uses is not None and int(max_uses) < int(coupon.uses):
        raise UnprocessableEntity(f"maxUses cannot go below the {int(coupon.uses)} uses already counted.")
    return stored


def coupon_money(body: CouponIn, store_currency: str | None, *, admin: bool) -> tuple[str | None, int, int]:
    """``(currency, value, minSubtotal)`` as stored, after checking every currency.

    A store coupon is in its store's currency (``store_currency``); a platform-wide one
    (admins only) in its fixed value's currency, or its minimum's, or none (a percent
    coupon without a minimum applies in any currency). Money in another currency is a 400
    on that field (``value.currency``, ``minSubtotal.currency``).
    """
    currency: str | None
    if body.store_id is None:
        if not admin:
            raise ValidationFailed.field("storeId", "Name one of your stores.")
        own = body.value if isinstance(body.value, Money) else body.min_subtotal
        currency = own.currency if own is not None else None
    else:
        currency = store_currency
    value = amount_in(body.value, str(currency), field="value") if isinstance(body.value, Money) else body.value
    minimum = 0 if body.min_subtotal is None else amount_in(body.min_subtotal, str(currency), field="minSubtotal")
    return currency, value, minimum


def _snapshot(coupon: Coupon) -> dict[str, Any]:
    return coupon_out(coupon).model_dump(mode="json", exclude={"created_at", "updated_at", "uses"})


# ---------------------------------------------------------------- the routes


def _own_active(principal: Principal, code: str) -> Coupon:
    """An active coupon the caller created (admins: any); otherwise 404."""
    coupon = store.get_coupon(code, consistent=True) if len(code) <= 64 else None
    if coupon is None or coupon.status != "active":
        raise NotFound("No such coupon.")
    ensure_owner(principal, coupon.owner_id)
    return coupon


def list_coupons(principal: Principal, query: CouponListQuery) -> tuple[list[CouponOut], str | None]:
    """Newest first. A store owner sees the coupons they created, an admin every coupon (one Query a page)."""
    found, cursor = store.coupon_page(admin=principal.is_admin, user_id=principal.user_id, cursor=query.cursor,
                                      limit=query.limit, status=query.status, store_id=query.store_id)  # fmt: skip
    return [coupon_out(c) for c in found], cursor


def create_coupon(principal: Principal, body: CouponIn) -> CouponOut:
    """Create a coupon; its code is taken for good (409 DUPLICATE_ENTRY, even if that coupon was deleted).

    Raises
    ------
    ValidationFailed
        A store owner without ``storeId``; money in a currency other than the store's (or the value's).
    NotFound
        ``storeId`` is another owner's store, or no store.
    DuplicateEntry
        The code exists (in any case).
    """
    store_currency = None
    if body.store_id is not None:
        shop = stores.get_store(body.store_id)
        ensure_owner(principal, shop.owner_id)
        store_currency = shop.currency
    currency, value, minimum = coupon_money(body, store_currency, admin=principal.is_admin)
    coupon = store.new_coupon(principal.user_id, body.code, utc_now(), store_id=body.store_id, type=body.type,
                              value=value, currency=currency, min_subtotal=minimum, max_uses=body.max_uses,
                              per_user_limit=body.per_user_limit, starts_at=body.starts_at,
                              ends_at=body.ends_at)  # fmt: skip
    record = audit.build_record(principal.actor, "coupon.create", "coupon", body.code, after=_snapshot(coupon))
    store.insert_coupon(coupon, record)
    return coupon_out(coupon)


def _save(principal: Principal, coupon: Coupon, action: str, before: dict[str, Any]) -> None:
    record = audit.build_record(principal.actor, action, "coupon", coupon.code, before=before,
                                after=_snapshot(coupon))  # fmt: skip
    store.save_coupon(coupon, record)


def _retried(attempt: Callable[[], CouponOut]) -> CouponOut:
    return retry_on_contention(
        attempt,
        attempts=MAX_SAVE_ATTEMPTS,
        retry_on=_SAVE_RACES,
        exhausted=lambda: Conflict("The coupon is changing too fast; retry."),
    )


def update_coupon(principal: Principal, code: str, body: CouponPatch) -> CouponOut:
    """Change the value, limits or dates of an active coupon the caller created (admins: any).

    Raises
    ------
    NotFound
        No such active coupon, or another user's.
    ValidationFailed, UnprocessableEntity
        See :func:`patched_values`.
    Conflict
        The coupon kept changing under us (uses counted by checkouts) for every attempt.
    """
    changes = {name: getattr(body, name) for name in _PATCHABLE if name in body.model_fields_set}

    def attempt() -> CouponOut:
        coupon = _own_active(principal, code)
        stored = patched_values(coupon, changes)
        before = _snapshot(coupon)
        for name, value in stored.items():
            setattr(coupon, name, value)
        coupon.updated_at = utc_now()
        _save(principal, coupon, "coupon.update", before)
        return coupon_out(coupon)

    return _retried(attempt)


def delete_coupon(principal: Principal, code: str) -> CouponOut:
    """Soft-delete: the coupon stops applying (carts holding it say it does not exist) and its code stays taken."""

    def attempt() -> CouponOut:
        coupon = _own_active(principal, code)
        before = _snapshot(coupon)
        coupon.status = "deleted"
        coupon.updated_at = utc_now()
        _save(principal, coupon, "coupon.delete", before)
        return coupon_out(coupon)

    return _retried(attempt)


# ---------------------------------------------------------------- building blocks for checkout, cancel and expiry


def use_coupon(tx: WriteTransaction, coupon: Coupon, user_id: str) -> None:
    """Add "count one use of ``coupon`` by ``user_id``" to ``tx`` (the checkout's transaction).

    Its labels are :data:`souk.cart.models.COUPON_LABEL` (used up or deleted) and
    :data:`souk.cart.models.COUPON_USE_LABEL` (this customer reached ``perUserLimit``).
    Validity dates are checked by the caller (:func:`souk.cart.discounts.coupon_problem`).
    """
    limit = None if coupon.per_user_limit is None else int(coupon.per_user_limit)
    store.count_coupon_use(tx, coupon.code, limit, user_id)


def release_coupon(tx: WriteTransaction, code: str, user_id: str) -> None:
    """Add "give back one use of ``code`` by ``user_id``" to ``tx`` (order cancelled or expired unpaid).

    The reverse of :func:`use_coupon`: ADD -1 on both counters, each on condition it is
    above zero (a ConditionalCheckFailed on a label means there was no use to give back).
    A deleted coupon still gets its use back.
    """
    store.release_coupon_use(tx, code, user_id)
