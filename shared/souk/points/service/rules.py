"""The rules of loyalty points: plain functions over loaded values, unit-tested without AWS.

- **Earning** (:func:`earned_points`): ``earnPerMajorUnit`` points per whole currency unit paid
  (what was paid less what was refunded when the order is delivered); one lot per order, that
  expires ``expiryDays`` after the delivery (:func:`lot_expiry`, an instant in UTC).
- **Value** (:func:`value_of`): ``points * redeemValue.amount // redeemValue.points`` minor units.
  A redemption must be a multiple of :func:`redemption_step` (the fewest points worth a whole
  minor unit: 1 with the default 100 points = 1.00), so no point is spent for nothing.
- **Caps**: never more than the balance, nor more than the goods of the orders (subtotal less the
  coupon discount: the delivery fee is paid in money), nor from more than
  :data:`MAX_LOTS_PER_REDEMPTION` lots (the checkout is one transaction).
- **Split** over a checkout's orders (:func:`souk.money.largest_remainder`): the value pro rata to each
  order's goods, the points pro rata to each order's value, both by the largest remainder (floors first, the
  leftover units to the largest fractional parts, ties to the earlier order), so the parts sum
  exactly to the whole and no order's discount exceeds its goods.
- **Drawing** (:func:`draw_lots`): the lots that expire first, ties by lot id; lots past their
  expiry are never drawn. :func:`allocate` hands the draws to the orders in checkout order.
- **Reversal** (:func:`reversal_points`) of a refund after delivery: the points taken back so far
  are ``floor(earned * min(refunded, basis) / basis)``; a refund takes back the difference it
  makes, so partial refunds never take back more than a full one, which takes back exactly all.
- **Tier** (:func:`tier_for`): the highest tier whose ``spend12m`` the last 12 months' paid spend
  (:func:`spend_months`: this UTC month and the 11 before) reaches; None below the lowest.
- **Expiry planning**: the daily job reads the expiry index for :func:`expiry_days` (today and the
  days before, so a late run catches up) and reminds about the lots of :func:`reminder_days`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from math import gcd

from souk.money import ZERO_DECIMAL

MAX_LOTS_PER_REDEMPTION = 8  # lots one checkout may draw from (each is an item of its transaction)
LOOKBACK_DAYS = 7  # days of the expiry index each daily run reads (a run missed is caught up)
SPEND_MONTHS = 12


class RedemptionRefused(ValueError):
    """A redemption the rules refuse; the message is for the customer."""


@dataclass(frozen=True)
class OpenLot:
    lot_id: str
    remaining: int
    expires_at: datetime


@dataclass(frozen=True)
class Draw:
    lot_id: str
    points: int
    expires_at: datetime
    remaining_before: int = 0  # the lot's remaining as read (the condition of its update)

    def as_dict(self) -> dict[str, object]:
        return {"lot": self.lot_id, "points": self.points, "expiresAt": self.expires_at.astimezone(UTC).isoformat()}


# ---------------------------------------------------------------- earning and value


def minor_per_major(currency: str) -> int:
    return 1 if currency.lower() in ZERO_DECIMAL else 100


def earned_points(paid: int, currency: str, per_major_unit: int) -> int:
    """Points for ``paid`` minor units: ``per_major_unit`` per whole currency unit (never < 0)."""
    return max(0, paid) // minor_per_major(currency) * per_major_unit


def lot_expiry(delivered_at: datetime, expiry_days: int) -> datetime:
    """When a lot earned at ``delivered_at`` expires: ``expiry_days`` later, in UTC."""
    return delivered_at.astimezone(UTC) + timedelta(days=expiry_days)


def redemption_step(points: int, amount: int) -> int:
    """The fewest points worth a whole number of minor units at ``points`` = ``amount``."""
    return points // gcd(points, amount) if amount else points


def value_of(redeemed: int, points: int, amount: int) -> int:
    """Minor units ``redeemed`` points are worth at ``points`` = ``amount`` (floored)."""
    return redeemed * amount // points


def most_redeemable(cap_value: int, points: int, amount: int) -> int:
    """The most points (a multiple of the step) whose value fits in ``cap_value``."""
    step = redemption_step(points, amount)
    if amount == 0:
        return 0
    most = cap_value * points // amount
    return most - most % step


def check_redeemable(redeemed: int, *, points: int, amount: int, cap_value: int, balance: int) -> int:
    """The value of ``redeemed`` points, or :class:`RedemptionRefused` naming the rule broken."""
    step = redemption_step(points, amount)
    if amount == 0:
        raise RedemptionRefused("Points cannot be redeemed right now.")
    if redeemed % step:
        raise RedemptionRefused(f"Redeem points in multiples of {step}.")
    value = value_of(redeemed, points, amount)
    if value > cap_value:
        raise RedemptionRefused(f"At most {most_redeemable(cap_value, points, amount)} points can be redeemed "
                                "on this checkout (points pay for goods, not delivery).")  # fmt: skip
    if redeemed > balance:
        raise RedemptionRefused(f"You have {max(balance, 0)} points.")
    return value


# ---------------------------------------------------------------- drawing lots


def draw_lots(lots: Sequence[OpenLot], wanted: int, now: datetime) -> list[Draw]:
    """``wanted`` points from the lots that expire first (lots past ``now`` skipped).

    Raises
    ------
    RedemptionRefused
        The open lots hold fewer points, or more than :data:`MAX_LOTS_PER_REDEMPTION` lots would be needed.
    """
    draws: list[Draw] = []
    left = wanted
    for lot in sorted(lots, key=lambda lot: (lot.expires_at, lot.lot_id)):
        if left <= 0:
            break
        if lot.remaining <= 0 or lot.expires_at <= now:
            continue
        if len(draws) == MAX_LOTS_PER_REDEMPTION:
            held = wanted - left
            raise RedemptionRefused(f"At most {held} points can be redeemed in one checkout.")
        take = min(left, lot.remaining)
        draws.append(Draw(lot.lot_id, take, lot.expires_at, remaining_before=lot.remaining))
        left -= take
    if left > 0:
        raise RedemptionRefused(f"Only {wanted - left} of your points can be redeemed right now.")
    return draws


def allocate(draws: Sequence[Draw], per_order: Sequence[int]) -> list[list[Draw]]:
    """The draws handed to the orders in order: each order's draws sum to its points."""
    if sum(d.points for d in draws) != sum(per_order):
        raise ValueError("the draws and the orders' points differ")
    left = [d.points for d in draws]
    index = 0
    result: list[list[Draw]] = []
    for wanted in per_order:
        mine: list[Draw] = []
        while wanted > 0:
            while left[index] == 0:
                index += 1
            take = min(wanted, left[index])
            draw = draws[index]
            mine.append(Draw(draw.lot_id, take, draw.expires_at, draw.remaining_before))
            left[index] -= take
            wanted -= take
        result.append(mine)
    return result


# ---------------------------------------------------------------- refunds


def reversal_points(earned: int, basis: int, refunded_before: int, amount: int) -> int:
    """Points a refund of ``amount`` takes back from a lot of ``earned`` points paid by ``basis``."""
    if earned <= 0 or basis <= 0 or amount <= 0:
        return 0

    def taken(refunded: int) -> int:
        return earned * min(refunded, basis) // basis

    return taken(refunded_before + amount) - taken(refunded_before)


# ---------------------------------------------------------------- tiers


def month_of(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m")


def spend_months(now: datetime, months: int = SPEND_MONTHS) -> list[str]:
    """This UTC month and the ``months - 1`` before it, oldest first (``yyyy-mm``)."""
    year, month = now.astimezone(UTC).year, now.astimezone(UTC).month
    found = []
    for _ in range(months):
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return found[::-1]


def tier_for(spend: int, tiers: Sequence[tuple[str, int]]) -> str | None:
    """The highest tier (name, threshold) ``spend`` reaches, or None."""
    reached = [(threshold, name) for name, threshold in tiers if spend >= threshold]
    return max(reached)[1] if reached else None


# ---------------------------------------------------------------- expiry planning


def expiry_days(now: datetime, lookback: int = LOOKBACK_DAYS) -> list[date]:
    """The UTC days whose lots the daily job expires (up to ``now``): today and ``lookback`` days before."""
    today = now.astimezone(UTC).date()
    return [today - timedelta(days=n) for n in range(lookback, -1, -1)]


def reminder_days(now: datetime, reminder: int) -> list[date]:
    """The UTC days whose lots are reminded about today: ``reminder`` days ahead (and the day before it, in
    case yesterday's run was missed); none when reminders are off (0)."""
    if reminder <= 0:
        return []
    target = now.astimezone(UTC).date() + timedelta(days=reminder)
    return [target - timedelta(days=1), target]


def is_due(expires_at: datetime, expired_at: datetime | None, now: datetime) -> bool:
    """A lot to expire now: past its expiry, not expired yet."""
    return expired_at is None and expires_at <= now


def needs_reminder(remaining: int, expires_at: datetime, reminded_at: datetime | None, now: datetime) -> bool:
    """A lot to remind about: it still holds points, has not expired, and was not reminded."""
    return remaining > 0 and reminded_at is None and expires_at > now
