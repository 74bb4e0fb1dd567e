"""Courier verification rules: who may submit, resubmission states, decision moves, the availability gate (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from souk.delivery.models import CourierVerification
from souk.delivery.schemas import VerificationDecision, VerificationIn
from souk.delivery.service import couriers
from souk.delivery.service import verification as rules
from souk.errors import Forbidden, InvalidState, ValidationFailed

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
BODY = VerificationIn(licence_upload_id="LIC1", vehicle_upload_id="VEH1", vehicle_type="scooter", note="Night shifts")


def item(status: str, version: int = 3, reason: str | None = None) -> CourierVerification:
    return CourierVerification(user_id="C1", status=status, licence_upload_id="OLDLIC", vehicle_upload_id="OLDVEH",
                               vehicle_type="car", reason=reason, submitted_at=NOW - timedelta(days=1),
                               decided_at=NOW - timedelta(hours=1) if status != "pending" else None,
                               decided_by="A1" if status != "pending" else None, version=version,
                               created_at=NOW - timedelta(days=2))  # fmt: skip


# --- who may submit, and what a submission leaves


@pytest.mark.parametrize("status", [None, "pending", "rejected"])
def test_a_courier_may_submit_before_any_review_while_pending_and_after_a_rejection(status: str | None) -> None:
    current = item(status, reason="Blurry" if status == "rejected" else None) if status else None
    rules.check_submittable(current)  # no error
    after = rules.submitted(current, "C1", BODY, NOW)
    assert after.status == "pending"
    assert (after.licence_upload_id, after.vehicle_upload_id) == ("LIC1", "VEH1")  # the documents replaced
    assert (after.vehicle_type, after.note) == ("scooter", "Night shifts")
    assert after.reason is None and after.decided_at is None and after.decided_by is None
    assert after.submitted_at == NOW
    assert after.version == (4 if current else 1)


def test_an_approved_courier_cannot_resubmit() -> None:
    with pytest.raises(InvalidState, match="already approved"):
        rules.check_submittable(item("approved"))


def test_the_same_upload_cannot_be_both_documents() -> None:
    same = VerificationIn(licence_upload_id="U1", vehicle_upload_id="U1")
    with pytest.raises(ValidationFailed) as raised:
        rules.check_documents(same)
    assert raised.value.details == [{"field": "vehicleUploadId", "message": raised.value.details[0]["message"]}]
    rules.check_documents(BODY)  # two uploads: fine


@pytest.mark.parametrize(
    "body",
    [
        {"licenceUploadId": "L1"},  # the vehicle document is missing
        {"licenceUploadId": "L1", "vehicleUploadId": "V1", "vehicleType": "truck"},
        {"licenceUploadId": "L 1", "vehicleUploadId": "V1"},
        {"licenceUploadId": "L1", "vehicleUploadId": "V1", "note": "   "},
        {"licenceUploadId": "L1", "vehicleUploadId": "V1", "extra": 1},
    ],
)
def test_malformed_submissions_are_refused_by_the_schema(body: dict) -> None:
    with pytest.raises(ValidationError):
        VerificationIn.model_validate(body)


# --- decisions


def test_a_rejection_needs_a_reason_an_approval_does_not() -> None:
    with pytest.raises(ValidationFailed):
        rules.check_reason(VerificationDecision(status="rejected"))
    with pytest.raises(ValidationFailed):
        rules.check_reason(VerificationDecision(status="rejected", reason="   "))  # squashed to None
    rules.check_reason(VerificationDecision(status="rejected", reason="Licence expired"))
    rules.check_reason(VerificationDecision(status="approved"))


@pytest.mark.parametrize(
    ("status", "reason"), [("approved", None), ("rejected", "Licence expired")]
)  # fmt: skip
def test_a_pending_verification_is_decided_keeping_its_documents(status: str, reason: str | None) -> None:
    current = rules.check_decidable(item("pending"))
    after = rules.decided(current, VerificationDecision(status=status, reason=reason), "A9", NOW)  # type: ignore[arg-type]
    assert (after.status, after.reason, after.decided_by, after.decided_at) == (status, reason, "A9", NOW)
    assert (after.licence_upload_id, after.vehicle_upload_id) == ("OLDLIC", "OLDVEH")
    assert after.submitted_at == current.submitted_at and after.version == 4


def test_an_approval_drops_a_reason_sent_with_it() -> None:
    after = rules.decided(item("pending"), VerificationDecision(status="approved", reason="Looks good"), "A9", NOW)
    assert after.reason is None


@pytest.mark.parametrize("status", ["approved", "rejected"])
def test_only_a_pending_verification_can_be_decided(status: str) -> None:
    with pytest.raises(InvalidState, match=f"already {status}"):
        rules.check_decidable(item(status))
    with pytest.raises(InvalidState, match="not submitted"):
        rules.check_decidable(None)


# --- the availability gate


def test_only_an_approved_courier_may_become_available() -> None:
    couriers.check_may_be_available(item("approved"))  # no error
    for current, hint in ((None, "submit your licence"), (item("pending"), "waiting for an admin"),
                          (item("rejected", reason="x"), "were rejected")):  # fmt: skip
        with pytest.raises(Forbidden, match=hint) as raised:
            couriers.check_may_be_available(current)
        assert "verification is needed" in raised.value.message
