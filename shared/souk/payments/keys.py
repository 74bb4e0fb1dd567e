"""Payments: the key values of its items (pk, sk and GSI keys), one function per key.

Beside :mod:`souk.payments.models`; ``docs/access-patterns.md`` lists the access patterns.
"""

from __future__ import annotations

from souk.db.keys import join


def payment(payment_id: str) -> str:
    return join("PAYMENT", payment_id)


def refund(refund_id: str) -> str:
    return join("REFUND", refund_id)


REFUND_PREFIX = "REFUND#"


def user_payments(user_id: str) -> str:
    return join("USER", user_id, "PAYMENTS")


PAYMENTS_ALL = "PAYMENTS"
