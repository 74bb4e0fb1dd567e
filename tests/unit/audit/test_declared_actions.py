"""Every domain declares the audit actions it records (souk/<domain>/audit_actions.py); the code records no other."""

from __future__ import annotations

import pytest

from souk.audit.service import declared_actions
from tests.call_args import Found, string_arguments

# audit.record(actor, action, ...) and audit.build_record(actor, action, ...), outside the audit package itself.
RECORDED = sorted(string_arguments({"record", "build_record"}, 1, "action", skip=("shared/souk/audit/",)),
                  key=lambda f: f.where)  # fmt: skip


def _domain(found: Found) -> str:
    return found.where.split("/")[2]  # shared/souk/<domain>/...


def test_the_recorded_actions_are_found() -> None:
    # The scan itself must see the calls (literals and names passed down), or the next test would pass on nothing.
    values = {f.value for f in RECORDED}
    assert {"order.checkout", "user.suspend", "user.activate", "cart.merge", "store.create", "wallet.top_up"} <= values


@pytest.mark.parametrize("found", RECORDED, ids=lambda f: f"{f.where}:{f.value}")
def test_every_recorded_action_is_declared_by_its_domain(found: Found) -> None:
    # GIVEN an action some code records (a literal, or a literal passed down to the call)
    assert found.value is not None, f"{found.where}: the action is not readable from the source"
    # THEN the domain of that code declares it
    declared = declared_actions().get(f"souk.{_domain(found)}.audit_actions")
    assert declared is not None, f"souk/{_domain(found)}/audit_actions.py is missing"
    assert found.value in declared, f"{found.value!r} is not in souk/{_domain(found)}/audit_actions.py"


def test_no_domain_declares_an_action_it_never_records() -> None:
    recorded: dict[str, set[str | None]] = {}
    for found in RECORDED:
        recorded.setdefault(f"souk.{_domain(found)}.audit_actions", set()).add(found.value)
    stale = {module: sorted(actions - recorded.get(module, set())) for module, actions in declared_actions().items()}
    assert {module: actions for module, actions in stale.items() if actions} == {}


def test_actions_are_dotted_resource_verbs() -> None:
    for module, actions in declared_actions().items():
        assert actions, module
        assert all(a.count(".") == 1 and a == a.lower() and " " not in a for a in actions), module
