"""Who may see a payment, without AWS."""

from __future__ import annotations

import pytest

from souk.caller import Principal
from souk.payments.models import Payment
from souk.payments.service import may_see

PAYMENT = Payment(pk="PAYMENT#p1", sk="PAYMENT#p1", payment_id="p1", user_id="payer", kind="order", method="card",
                  store_owner_ids=["owner-a", "owner-b"], amount=1000, currency="usd", status="succeeded")  # fmt: skip


@pytest.mark.parametrize(
    ("user_id", "role", "sees"),
    [
        ("payer", "customer", True),  # the payer
        ("owner-b", "store_owner", True),  # an owner of one of its stores
        ("root", "admin", True),
        ("someone", "customer", False),
        ("owner-c", "store_owner", False),  # another store's owner
        ("owner-a", "courier", False),  # the id alone is not enough: the role must be store_owner
    ],
)
def test_a_payment_is_seen_by_its_payer_its_stores_owners_and_admins(user_id: str, role: str, sees: bool) -> None:
    assert may_see(Principal(user_id=user_id, role=role, session_id="s"), PAYMENT) is sees
