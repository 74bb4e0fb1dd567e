"""Coupons: CRUD for admins and store owners, and the use counters checkout adds to its transaction.

A coupon is one item ``COUPON#<CODE>`` / ``COUPON`` (codes are case-insensitive, stored
upper-case); each customer's use count is a :class:`CouponUse` in the same partition.
Checkout counts a use with :func:`use_coupon`: two conditional ADDs in its own
transaction, so ``maxUses`` and ``perUserLimit`` hold under any concurrency, and an
order that is cancelled or expires unpaid gives the use back with :func:`release_coupon`.
"""

from __future__ import annotations

from souk.cart.models import Coupon, CouponUse
from souk.db import keys
from souk.db.base import utc_now
from souk.db.transactions import WriteTransaction

COUPON_LABEL = "coupon"  # ConditionalCheckFailed: the coupon is used up (maxUses) or was deleted
COUPON_USE_LABEL = "coupon-use"  # ConditionalCheckFailed: this customer reached the coupon's perUserLimit


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
