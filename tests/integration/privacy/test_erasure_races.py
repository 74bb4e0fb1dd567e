"""The account erasure on DynamoDB Local: a worker that crashes halfway resumes and erases everything once;
two DELETE /me at once make one job."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from souk.audit.models import AuditRecord
from souk.caller import Principal
from souk.errors import SoukError
from souk.identity.store.users import load_user
from souk.orders import keys as order_keys
from souk.orders import privacy as orders_privacy
from souk.orders.models import Order
from souk.privacy import keys
from souk.privacy.models import ErasureJob
from souk.privacy.schemas import EraseRequest, ErasureMessage, ErasureOut
from souk.privacy.service import erasure
from souk.privacy.store import erasure as erasure_store
from souk.teams.models import Team
from souk.teams.schemas import MemberIn, TeamIn
from souk.teams.service import members, teams
from tests.factories import PASSWORD, create_user
from tests.functional.exports.conftest import put_orders
from tests.races import at_once

pytestmark = pytest.mark.integration
STREET = {"line1": "1 Nile St", "city": "Cairo", "country": "eg", "lat": 30.0, "lng": 31.2, "phone": "+20100"}


class Crash(Exception):
    pass


@pytest.fixture(autouse=True)
def no_queues(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, list[Any]]]:
    """DynamoDB Local has no SQS: keep what would be queued."""
    sent: dict[str, list[Any]] = {"steps": [], "emails": []}
    monkeypatch.setattr(erasure.queue, "send", lambda message: sent["steps"].append(message))
    monkeypatch.setattr(erasure, "enqueue_email", lambda template, to, variables, **_: sent["emails"].append(to))
    yield sent


def _principal(user_id: str, role: str = "customer") -> Principal:
    return Principal(user_id=user_id, role=role, session_id="s-1")


def _audited(user_id: str, action: str) -> int:
    return sum(1 for r in AuditRecord.gsi2.query(f"AUDIT_RES#user#{user_id}") if r.action == action)


def test_an_erasure_that_crashes_halfway_resumes_and_erases_everything_once(
    table: str, monkeypatch: pytest.MonkeyPatch, no_queues: dict[str, list[Any]]
) -> None:
    # GIVEN a customer with 60 orders (three pages of the orders hook) and a seat in another's team
    user, owner = create_user("customer"), create_user("customer")
    order_ids = put_orders(60, owner_id="owner-1", store_id="store-1", customer_id=user.user_id)
    for order_id in order_ids:
        Order(pk=order_keys.order(order_id), sk=order_keys.order(order_id)).update(actions=[Order.address.set(STREET)])
    team = teams.create_team(_principal(owner.user_id), TeamIn(name="Crew"))
    members.add_member(_principal(owner.user_id), team.id, MemberIn(user_id=user.user_id, role="member"))
    erasure.request_erasure(_principal(user.user_id), EraseRequest(password=PASSWORD))
    # AND the orders hook crashes on its second page, after its writes, before the worker saves its place
    real, calls = orders_privacy.erase, []

    def crashing(user_id: str, cursor: str | None) -> str | None:
        result = real(user_id, cursor)
        calls.append(cursor)
        if len(calls) == 2:
            raise Crash
        return result

    monkeypatch.setattr(orders_privacy, "erase", crashing)
    with pytest.raises(Crash):
        erasure.run(ErasureMessage(user_id=user.user_id), lambda: False)
    job = erasure_store.load(user.user_id, consistent=True)
    assert job is not None and job.status == "deleting" and job.step == "orders" and "teams" in job.done
    # WHEN the message is delivered again
    assert erasure.run(ErasureMessage(user_id=user.user_id), lambda: False) == "completed"
    # THEN the second page ran again (from the saved cursor), every order is anonymised, the account deleted
    assert calls[1] == calls[2] and len(calls) == 5  # 3 pages of orders (one twice), then the purchases
    for order_id in order_ids:
        order = Order.get(order_keys.order(order_id), order_keys.order(order_id))
        assert order.address == {"city": "Cairo", "country": "eg"}
    stored = load_user(user.user_id, consistent=True)
    assert stored is not None and stored.status == "deleted"
    # AND the team lost exactly one member, the email went once, the erasure was audited once
    crew = Team.get(f"TEAM#{team.id}", "TEAM", consistent_read=True)
    assert (int(crew.members), int(crew.owners)) == (1, 1)
    assert no_queues["emails"] == [user.email]
    assert _audited(user.user_id, "account.erased") == 1
    # AND a late duplicate delivery changes nothing
    assert erasure.run(ErasureMessage(user_id=user.user_id), lambda: False) == "finished"
    assert no_queues["emails"] == [user.email]


def test_two_deletes_at_once_make_one_job(table: str, no_queues: dict[str, list[Any]]) -> None:
    user = create_user("customer")
    principal = _principal(user.user_id)
    results = at_once([lambda: erasure.request_erasure(principal, EraseRequest(password=PASSWORD))] * 2,
                      catching=(SoukError,))  # fmt: skip
    # both answered with the one job (or, if the loser read the account mid-change, a retryable conflict)
    assert any(isinstance(r, ErasureOut) for r in results)
    assert all(isinstance(r, ErasureOut) or getattr(r, "status", None) == 409 for r in results), results
    jobs = list(ErasureJob.query(keys.erasure(user.user_id), consistent_read=True))
    assert len(jobs) == 1
    assert _audited(user.user_id, "account.erasure_requested") == 1
    stored = load_user(user.user_id, consistent=True)
    assert stored is not None and stored.status == "deleting"
