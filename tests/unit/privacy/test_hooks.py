"""The privacy hooks: who declares one, in which order, and what each must offer."""

from __future__ import annotations

import inspect
from types import SimpleNamespace

from souk.privacy import hooks

EXPECTED = {"audit", "billing", "cart", "catalog", "delivery", "dispatch", "disputes", "finance", "identity",
            "notifications", "orders", "points", "reviews", "teams", "uploads", "wallet"}  # fmt: skip


def test_every_domain_holding_a_users_data_declares_a_hook_and_identity_runs_last() -> None:
    declared = hooks.hooks()
    names = [d.name for d in declared]
    assert set(names) >= EXPECTED
    assert names[-1] == "identity"
    assert [d.order for d in declared] == sorted(d.order for d in declared)
    for d in declared:
        for name in ("export", "erase"):
            assert list(inspect.signature(getattr(d.hook, name)).parameters) == ["user_id", "cursor"], (d.name, name)


def test_the_order_is_stable_whatever_the_file_system_lists_first() -> None:
    modules = (SimpleNamespace(__name__="souk.zeta.privacy", ORDER=10),
               SimpleNamespace(__name__="souk.alpha.privacy", ORDER=10),
               SimpleNamespace(__name__="souk.identity.privacy", ORDER=1000),
               SimpleNamespace(__name__="souk.cart.privacy", ORDER=5))  # fmt: skip
    assert [d.name for d in hooks.ordered(modules)] == ["cart", "alpha", "zeta", "identity"]  # type: ignore[arg-type]


def test_next_step() -> None:
    steps = ["cart", "orders", "identity"]
    assert hooks.next_step(steps, None) == "cart"
    assert hooks.next_step(steps, "cart") == "orders"
    assert hooks.next_step(steps, "identity") is None
    assert hooks.next_step(steps, "gone") == "cart"  # a hook a release removed: from the first
    assert hooks.next_step([], None) is None


def test_only_teams_dispatch_and_finance_may_refuse_an_erasure() -> None:
    assert sorted(d.name for d in hooks.hooks() if hasattr(d.hook, "refusal")) == ["dispatch", "finance", "teams"]
