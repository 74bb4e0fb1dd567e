"""Courier verification races on DynamoDB Local: two admins deciding at once, one decision applies."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from souk.audit import keys as audit_keys
from souk.audit import service as audit
from souk.audit.models import AuditRecord
from souk.caller import Principal
from souk.delivery import store
from souk.delivery.models import CourierVerification
from souk.delivery.schemas import VerificationDecision, VerificationOut
from souk.delivery.service import verification as service
from souk.errors import InvalidState
from tests.factories import create_user
from tests.races import at_once

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def no_email_queue(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """DynamoDB Local has no SQS: record the emails the decisions would send (through notify)."""
    sent: list[str] = []
    monkeypatch.setattr(service, "notify", lambda *_, email, **__: sent.append(email.template))
    yield sent


def _pending_courier() -> str:
    """A courier whose documents wait for review, written as :func:`service.submit` leaves them."""
    user = create_user("courier")
    now = datetime.now(UTC)
    item = CourierVerification(user_id=user.user_id, status="pending", licence_upload_id="LIC", vehicle_upload_id="VEH",
                               submitted_at=now, version=1)  # fmt: skip
    record = audit.build_record(audit.SYSTEM, "courier_verification.submit", "courier", user.user_id)
    store.save_verification(None, item, record)
    return user.user_id


@pytest.mark.parametrize("decisions", [("approved", "rejected"), ("approved", "approved"), ("rejected", "rejected")])
def test_two_admins_deciding_at_once_one_decision_applies_once(
    table: str, decisions: tuple[str, str], no_email_queue: list[str]
) -> None:
    for _ in range(3):  # a few rounds: the interleaving differs from run to run
        no_email_queue.clear()
        courier_id = _pending_courier()
        admins = [Principal(create_user("admin").user_id, "admin", "session") for _ in decisions]
        bodies = [
            VerificationDecision(status=d, reason="Expired licence" if d == "rejected" else None)  # type: ignore[arg-type]
            for d in decisions
        ]
        calls = [lambda a=a, b=b, c=courier_id: service.decide(a, c, b) for a, b in zip(admins, bodies, strict=True)]
        results = at_once(calls)
        # exactly one wins; the other is told it was already decided (409 INVALID_STATE)
        won = [r for r in results if isinstance(r, VerificationOut)]
        lost = [r for r in results if not isinstance(r, VerificationOut)]
        assert len(won) == 1 and len(lost) == 1, results
        assert isinstance(lost[0], InvalidState) and "already" in lost[0].message
        # AND the stored verification is the winner's decision, made once
        stored = store.get_verification(courier_id)
        assert stored is not None and stored.status == won[0].status and int(stored.version) == 2
        winner = admins[results.index(won[0])]
        assert stored.decided_by == winner.user_id
        # AND one audit record of a decision, by the winner; one email
        records = [r for r in AuditRecord.gsi2.query(audit_keys.audit_resource("courier", courier_id))
                   if r.action == "courier_verification.decide"]  # fmt: skip
        assert [(r.actor_id, r.after["status"]) for r in records] == [(winner.user_id, stored.status)]
        assert no_email_queue == [f"courier_verification_{stored.status}"]
