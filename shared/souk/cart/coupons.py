"""Coupons: CRUD for admins and store owners, and the use counters checkout adds to its transaction.

A coupon is one item ``COUPON#<CODE>`` / ``COUPON`` (codes are case-insensitive, stored
upper-case); each customer's use count is a :class:`CouponUse` in the same partition.
Checkout counts a use with :func:`use_coupon`: two conditional ADDs in its own
transaction, so ``maxUses`` and ``perUserLimit`` hold under any concurrency, and an
order that is cancelled or expires unpaid gives the use back with :func:`release_coupon`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import ConfigDict, Field, PlainValidator, ValidationInfo, field_validator
from pynamodb.exceptions import DoesNotExist

from souk.audit import service as audit
from souk.caller import ensure_owner
from souk.cart.models import Coupon, CouponUse
from souk.catalog import stores
from souk.db import keys
from souk.db.base import utc_now
from souk.db.expiry import stamp
from souk.db.paging import decode_cursor_for, encode_cursor, one_page
from souk.db.transactions import TransactionCancelled, WriteTransaction, retry_on_contention
from souk.errors import Conflict, DuplicateEntry, NotFound, UnprocessableEntity, ValidationFailed
from souk.money import MAX_AMOUNT, Money, amount_in, money
from souk.schema import CamelModel, PageQuery, PatchModel

if TYPE_CHECKING:
    from pynamodb.indexes import GlobalSecondaryIndex

    from souk.caller import Principal

COUPON_LABEL = "coupon"  # ConditionalCheckFailed: the coupon is used up (maxUses) or was deleted
COUPON_USE_LABEL = "coupon-use"  # ConditionalCheckFailed: this customer reached the coupon's perUserLimit
MAX_SAVE_ATTEMPTS = 10  # a PATCH/DELETE re-reads when a checkout counted a use between its read and its save
# What a versioned save loses to such a checkout: retried from a fresh read.
_SAVE_RACES = frozenset({"ConditionalCheckFailed", "TransactionConflict"})

CouponType = Literal["percent", "fixed"]
CouponStatus = Literal["active", "deleted"]
_CODE = re.compile(r"[A-Z0-9_-]{3,32}")
Limit = Annotated[int, Field(ge=1, le=10**9, strict=True)]


def _percent_or_money(value: Any) -> int | Money:
    """A whole number (percent coupons) or Money (fixed coupons); which one the type needs is checked after."""
    if isinstance(value, dict):
        return Money.model_validate(value)
    if type(value) is int:  # not a bool, not a float
        return value
    raise ValueError("Send a whole number (percent) or Money {amount, currency} (fixed).")


# percent: a whole number 1..100; fixed: Money in the coupon's currency (the contract's money in a request).
CouponValue = Annotated[int | Money, PlainValidator(_percent_or_money, json_schema_input_type=int | Money)]


def _utc(value: datetime | None) -> datetime | None:
    """Timestamps without an offset are read as UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _value_problem(coupon_type: str | None, value: int | Money) -> str | None:
    """Why ``value`` does not suit a coupon of this type, or None."""
    if coupon_type == "percent" and (not isinstance(value, int) or not 1 <= value <= 100):
        return "A percent coupon takes a whole number from 1 to 100."
    if coupon_type == "fixed" and not isinstance(value, Money):
        return "A fixed coupon's value is Money: {amount, currency}."
    if coupon_type == "fixed" and isinstance(value, Money) and not 1 <= value.amount <= MAX_AMOUNT:
        return "A fixed coupon takes a positive amount."
    return None


def _check_value(coupon: Coupon, value: int | Money) -> int:
    """The stored value (percent, or minor units in the coupon's currency) of a PATCHed ``value``."""
    problem = _value_problem(coupon.type, value)
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


# ---------------------------------------------------------------- schemas


class CouponIn(CamelModel):
    """POST /coupons. A store owner names one of their stores; an admin may leave ``storeId`` out (platform-wide)."""

    code: str = Field(max_length=64, description="3 to 32 of A-Z 0-9 _ -; case-insensitive, stored upper-case.",
                      examples=["SPRING-10"])  # fmt: skip
    type: CouponType
    value: CouponValue = Field(description="percent: a whole number 1..100; fixed: Money, in the store's currency "
                               "for a store coupon.", examples=[10])  # fmt: skip
    min_subtotal: Money | None = Field(None, description="What the eligible subtotal must reach, in the coupon's "
                                       "currency (the store's, or a fixed value's); null: no minimum.",
                                       examples=[{"amount": 2000, "currency": "usd"}])  # fmt: skip
    max_uses: Limit | None = Field(None, description="Uses in all; null: unlimited.")
    per_user_limit: Limit | None = Field(None, description="Uses per customer; null: unlimited.")
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    store_id: str | None = Field(None, min_length=1, max_length=64)

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        code = value.strip().upper()
        if not _CODE.fullmatch(code):
            raise ValueError("Use 3 to 32 letters, digits, _ or -.")
        return code

    @field_validator("value")
    @classmethod
    def _value_for_type(cls, value: int | Money, info: ValidationInfo) -> int | Money:
        problem = _value_problem(info.data.get("type"), value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _as_utc(cls, value: datetime | None) -> datetime | None:
        return _utc(value)

    @field_validator("ends_at")
    @classmethod
    def _after_start(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        starts_at = info.data.get("starts_at")
        if value is not None and starts_at is not None and value <= starts_at:
            raise ValueError("Must be after startsAt.")
        return value


class CouponPatch(PatchModel):
    """PATCH /coupons/{code}: only the fields sent change. ``code``, ``type`` and ``storeId`` never change.

    ``maxUses``, ``perUserLimit``, ``startsAt`` and ``endsAt`` may be null (no limit / no bound).
    """

    model_config = ConfigDict(extra="forbid")
    not_nullable = ("value", "min_subtotal")

    value: CouponValue | None = Field(None, description="As the coupon's type takes it: percent 1..100, fixed Money "
                                      "in the coupon's currency.")  # fmt: skip
    min_subtotal: Money | None = Field(None, description="In the coupon's currency; {amount: 0} for no minimum.")
    max_uses: Limit | None = None
    per_user_limit: Limit | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _as_utc(cls, value: datetime | None) -> datetime | None:
        return _utc(value)


class CouponListQuery(PageQuery):
    store_id: str | None = Field(None, min_length=1, max_length=64, description="Only this store's coupons.")
    status: CouponStatus | None = Field(None, description="Without it, deleted coupons are left out.")


class CouponOut(CamelModel):
    code: str
    type: CouponType
    value: int | Money = Field(description="percent: 1..100; fixed: Money.")
    currency: str | None = Field(description="The currency of the coupon's money (a store coupon: the store's); "
                                 "null for a platform-wide percent coupon without a minimum.")  # fmt: skip
    min_subtotal: Money | None = Field(description="null: no minimum.")
    max_uses: int | None
    per_user_limit: int | None
    uses: int
    starts_at: datetime | None
    ends_at: datetime | None
    store_id: str | None
    status: CouponStatus
    created_at: datetime
    updated_at: datetime


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _out(coupon: Coupon) -> CouponOut:
    value: int | Money = int(coupon.value)
    if coupon.type == "fixed" and coupon.currency:
        value = money(int(coupon.value), coupon.currency)
    minimum = int(coupon.min_subtotal or 0)
    return CouponOut.model_validate({
        "code": coupon.code, "type": coupon.type, "value": value, "currency": coupon.currency,
        "min_subtotal": money(minimum, coupon.currency) if minimum and coupon.currency else None,
        "max_uses": _int(coupon.max_uses),
        "per_user_limit": _int(coupon.per_user_limit), "uses": int(coupon.uses), "starts_at": coupon.starts_at,
        "ends_at": coupon.ends_at, "store_id": coupon.store_id, "status": coupon.status,
        "created_at": coupon.created_at, "updated_at": coupon.updated_at,
    })  # fmt: skip


def _snapshot(coupon: Coupon) -> dict[str, Any]:
    return _out(coupon).model_dump(mode="json", exclude={"created_at", "updated_at", "uses"})


# ---------------------------------------------------------------- reading


def get_coupon(code: str, *, consistent: bool = False) -> Coupon | None:
    """The coupon with this code (any case), deleted ones included; None when there is none."""
    try:
        return Coupon.get(keys.coupon(code), keys.COUPON, consistent_read=consistent)
    except DoesNotExist:
        return None


def _own_active(principal: Principal, code: str) -> Coupon:
    """An active coupon the caller created (admins: any); otherwise 404."""
    coupon = get_coupon(code, consistent=True) if len(code) <= 64 else None
    if coupon is None or coupon.status != "active":
        raise NotFound("No such coupon.")
    ensure_owner(principal, coupon.owner_id)
    return coupon


def list_coupons(principal: Principal, query: CouponListQuery) -> tuple[list[CouponOut], str | None]:
    """Newest first. A store owner sees the coupons they created (gsi1), an admin every coupon (gsi2).

    One Query per page; the ``storeId`` / ``status`` filters apply within it, so a page may
    come back short with a cursor to go on.
    """
    index: GlobalSecondaryIndex[Any]
    if principal.is_admin:
        index, attribute, partition = Coupon.gsi2, "gsi2pk", keys.COUPONS_ALL
    else:
        index, attribute, partition = Coupon.gsi1, "gsi1pk", keys.coupons_by_owner(principal.user_id)
    start = decode_cursor_for(query.cursor, attribute, partition)
    condition = Coupon.status == query.status if query.status else Coupon.status != "deleted"
    if query.store_id:
        condition &= Coupon.store_id == query.store_id
    result = index.query(partition, filter_condition=condition, scan_index_forward=False, page_size=query.limit,
                         last_evaluated_key=start)  # fmt: skip
    found, last_key = one_page(Coupon, result)
    return [_out(c) for c in found if isinstance(c, Coupon)], encode_cursor(last_key)


# ---------------------------------------------------------------- writing


def _coupon_money(principal: Principal, body: CouponIn) -> tuple[str | None, int, int]:
    """``(currency, value, minSubtotal)`` as stored, after checking the store and every currency.

    A store coupon is in its store's currency (the caller's own store; admins: any); a
    platform-wide one in its fixed value's currency, or its minimum's, or none (a percent
    coupon without a minimum applies in any currency). Money in another currency is a 400
    on that field (``value.currency``, ``minSubtotal.currency``).
    """
    currency: str | None
    if body.store_id is None:
        if not principal.is_admin:
            raise ValidationFailed.field("storeId", "Name one of your stores.")
        own = body.value if isinstance(body.value, Money) else body.min_subtotal
        currency = own.currency if own is not None else None
    else:
        store = stores.get_store(body.store_id)
        ensure_owner(principal, store.owner_id)
        currency = store.currency
    value = amount_in(body.value, str(currency), field="value") if isinstance(body.value, Money) else body.value
    minimum = 0 if body.min_subtotal is None else amount_in(body.min_subtotal, str(currency), field="minSubtotal")
    return currency, value, minimum


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
    currency, value, minimum = _coupon_money(principal, body)
    now = utc_now()
    code = body.code
    coupon = Coupon(pk=keys.coupon(code), sk=keys.COUPON, code=code, owner_id=principal.user_id,
                    store_id=body.store_id, type=body.type, value=value, currency=currency,
                    min_subtotal=minimum, max_uses=body.max_uses, per_user_limit=body.per_user_limit,
                    starts_at=body.starts_at, ends_at=body.ends_at, uses=0, status="active",
                    gsi1pk=keys.coupons_by_owner(principal.user_id), gsi1sk=keys.created_sort(stamp(now), code),
                    gsi2pk=keys.COUPONS_ALL, gsi2sk=keys.created_sort(stamp(now), code),
                    created_at=now, updated_at=now)  # fmt: skip
    try:
        with WriteTransaction() as tx:
            tx.put(coupon, Coupon.pk.does_not_exist(), label=COUPON_LABEL)
            audit.record(principal.actor, "coupon.create", "coupon", code, tx=tx, after=_snapshot(coupon))
    except TransactionCancelled as cancelled:
        if COUPON_LABEL in cancelled.failed():
            raise DuplicateEntry("A coupon with this code exists.") from None
        raise
    coupon.version = 1
    return _out(coupon)


_PATCHABLE = ("value", "min_subtotal", "max_uses", "per_user_limit", "starts_at", "ends_at")


def _save(principal: Principal, coupon: Coupon, action: str, before: dict[str, Any]) -> None:
    """Versioned save with its audit record; lost to a change since the coupon was read (checkouts
    counting uses), it is cancelled, and :func:`_retried` reads the coupon again."""
    with WriteTransaction() as tx:
        tx.put(coupon, label=COUPON_LABEL)  # + the version condition
        audit.record(principal.actor, action, "coupon", coupon.code, tx=tx, before=before, after=_snapshot(coupon))


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
    ValidationFailed
        A value out of range for the coupon's type; money in another currency than the coupon's
        (``value.currency``, ``minSubtotal.currency``); ``endsAt`` not after ``startsAt``.
    UnprocessableEntity
        ``maxUses`` below the uses already counted.
    Conflict
        The coupon kept changing under us (uses counted by checkouts) for every attempt.
    """
    changes = {name: getattr(body, name) for name in _PATCHABLE if name in body.model_fields_set}

    def attempt() -> CouponOut:
        coupon = _own_active(principal, code)
        stored = dict(changes)
        if "value" in changes:
            stored["value"] = _check_value(coupon, changes["value"])
        if "min_subtotal" in changes:
            stored["min_subtotal"], stored["currency"] = _check_minimum(coupon, changes["min_subtotal"])
        _check_window(changes.get("starts_at", coupon.starts_at), changes.get("ends_at", coupon.ends_at))
        max_uses = changes.get("max_uses", coupon.max_uses)
        if max_uses is not None and int(max_uses) < int(coupon.uses):
            raise UnprocessableEntity(f"maxUses cannot go below the {int(coupon.uses)} uses already counted.")
        before = _snapshot(coupon)
        for name, value in stored.items():
            setattr(coupon, name, value)
        coupon.updated_at = utc_now()
        _save(principal, coupon, "coupon.update", before)
        return _out(coupon)

    return _retried(attempt)


def delete_coupon(principal: Principal, code: str) -> CouponOut:
    """Soft-delete: the coupon stops applying (carts holding it say it does not exist) and its code stays taken."""

    def attempt() -> CouponOut:
        coupon = _own_active(principal, code)
        before = _snapshot(coupon)
        coupon.status = "deleted"
        coupon.updated_at = utc_now()
        _save(principal, coupon, "coupon.delete", before)
        return _out(coupon)

    return _retried(attempt)


# ---------------------------------------------------------------- building blocks for checkout


def _coupon_key(code: str) -> Coupon:
    """The coupon's key only; ``version`` set so PynamoDB bumps it (ADD 1) instead of resetting it.

    The bump is what makes a PATCH that read the coupon before this use fail its versioned
    save (and re-read) rather than write back a stale ``uses``.
    """
    return Coupon(pk=keys.coupon(code), sk=keys.COUPON, version=0)


def _use_key(code: str, user_id: str) -> CouponUse:
    return CouponUse(pk=keys.coupon(code), sk=keys.coupon_use(user_id))


def use_coupon(tx: WriteTransaction, coupon: Coupon, user_id: str) -> None:
    """Add "count one use of ``coupon`` by ``user_id``" to ``tx``.

    Two updates: the coupon's ``uses`` ADD 1 on condition it is active and below
    ``maxUses`` (label :data:`COUPON_LABEL`), and the customer's :class:`CouponUse` upsert
    ADD 1 on condition it is below ``perUserLimit`` (label :data:`COUPON_USE_LABEL`).
    Neither conditions on a value read earlier, so concurrent checkouts never conflict
    unless a limit is really reached. Validity dates are checked by the caller
    (:func:`souk.cart.discounts.coupon_problem`).

    Parameters
    ----------
    tx
        The checkout's transaction.
    coupon
        The coupon as read (its ``code`` and ``perUserLimit`` are used).
    user_id
        The customer.
    """
    now = utc_now()
    limit = Coupon.status == "active"
    limit &= Coupon.max_uses.does_not_exist() | (Coupon.uses < Coupon.max_uses)
    tx.update(_coupon_key(coupon.code), [Coupon.uses.add(1), Coupon.updated_at.set(now)], limit,
              label=COUPON_LABEL, add_version_condition=False)  # fmt: skip
    per_user = None
    if coupon.per_user_limit is not None:
        per_user = CouponUse.uses.does_not_exist() | (CouponUse.uses < int(coupon.per_user_limit))
    tx.update(_use_key(coupon.code, user_id),
              [CouponUse.uses.add(1), CouponUse.entity.set(CouponUse), CouponUse.code.set(coupon.code),
               CouponUse.user_id.set(user_id), CouponUse.created_at.set(CouponUse.created_at | now),
               CouponUse.updated_at.set(now)], per_user, label=COUPON_USE_LABEL)  # fmt: skip


def release_coupon(tx: WriteTransaction, code: str, user_id: str) -> None:
    """Add "give back one use of ``code`` by ``user_id``" to ``tx`` (order cancelled or expired unpaid).

    The reverse of :func:`use_coupon`: ADD -1 on both counters, each on condition it is
    above zero (a ConditionalCheckFailed on a label means there was no use to give back).
    A deleted coupon still gets its use back.
    """
    now = utc_now()
    tx.update(_coupon_key(code), [Coupon.uses.add(-1), Coupon.updated_at.set(now)], Coupon.uses > 0,
              label=COUPON_LABEL, add_version_condition=False)  # fmt: skip
    tx.update(_use_key(code, user_id), [CouponUse.uses.add(-1), CouponUse.updated_at.set(now)], CouponUse.uses > 0,
              label=COUPON_USE_LABEL)  # fmt: skip
