"""Money: an integer amount in minor units plus a lower-case ISO currency, never a float."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import Field, field_validator

from souk.errors import ValidationFailed
from souk.schema import CamelModel

MAX_AMOUNT = 10**12 - 1  # what keys.price_sort can order (12 digits of minor units)


class Money(CamelModel):
    """An amount in minor units (cents) and its currency: never a float."""

    amount: int = Field(ge=0, le=MAX_AMOUNT, strict=True, description="Minor units, e.g. 1999 for 19.99.")
    currency: str = Field(min_length=3, max_length=3, pattern=r"^[a-z]{3}$", examples=["usd"])

    @field_validator("currency", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value


def money(amount: int, currency: str) -> Money:
    return Money(amount=int(amount), currency=currency)


def amount_in(value: Money, currency: str, *, field: str) -> int:
    """The minor units of ``value`` sent in a request, which must be in ``currency``.

    Parameters
    ----------
    value
        The Money of the request body.
    currency
        The currency it must be in: the store's, the wallet's, the payment's.
    field
        The body field, e.g. ``amount`` or ``minSubtotal``; a mismatch names ``<field>.currency``.

    Raises
    ------
    ValidationFailed
        400 on ``<field>.currency`` when the currencies differ.
    """
    if value.currency != currency.lower():
        raise ValidationFailed.field(f"{field}.currency", f"Send this amount in {currency.lower()}.")
    return value.amount


# ISO 4217 currencies without minor units (Stripe's list of zero-decimal currencies).
ZERO_DECIMAL = frozenset({"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
                          "xaf", "xof", "xpf"})  # fmt: skip


def display(amount: int, currency: str) -> str:
    """``1999, "usd"`` → ``"19.99 USD"``: for messages to people, never for computing."""
    if currency.lower() in ZERO_DECIMAL:
        return f"{amount} {currency.upper()}"
    sign = "-" if amount < 0 else ""
    whole, cents = divmod(abs(amount), 100)
    return f"{sign}{whole}.{cents:02d} {currency.upper()}"


def largest_remainder(total: int, weights: Sequence[int]) -> list[int]:
    """``total`` split pro rata to ``weights``: each share floored, the leftover units to the largest
    fractional parts (ties: the earlier weight). The shares sum to ``total``; no share exceeds its
    weight when ``total <= sum(weights)``.

    Raises
    ------
    ValueError
        A negative total or weight, or a positive total with nothing to split it over.
    """
    if total < 0 or any(w < 0 for w in weights):
        raise ValueError("largest_remainder takes non-negative amounts")
    whole = sum(weights)
    if total == 0:
        return [0] * len(weights)
    if whole == 0:
        raise ValueError(f"cannot split {total} over nothing")
    shares = [total * w // whole for w in weights]
    remainders = [total * w % whole for w in weights]
    leftover = total - sum(shares)
    for index in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:leftover]:
        shares[index] += 1
    return shares
