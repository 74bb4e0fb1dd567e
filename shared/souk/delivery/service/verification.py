"""Courier verification: couriers send documents, admins approve or reject them (issue 13 item 6).

Modelled on the stores' review (:mod:`souk.catalog.service.stores`), for couriers:

- One item per courier (``COURIER#<userId>`` / ``VERIFICATION``): ``pending`` once submitted,
  then ``approved`` or ``rejected`` by an admin. Resubmitting while pending replaces the
  documents; after a rejection it starts a new pending review; once approved it is a 409
  (approval is final: there is no revocation yet, which is what lets the availability gate
  be one consistent GetItem, :func:`souk.delivery.service.couriers.check_may_be_available`).
- The documents are two of the courier's own finished uploads, checked and confirmed by
  :func:`souk.uploads.service.claim_uploads` (the contract has no courier upload purpose:
  ``store_document`` and ``attachment`` are accepted). An unusable upload is 422.
- Every write is conditional on the version read (or on there being none), with its audit
  record in the same transaction: two admins deciding at once, one applies, the other
  re-reads and gets 409 INVALID_STATE.
- The courier is emailed the decision, best effort after the commit.
- A courier who never submitted: GET is 404 (no ``none`` status), an admin decision 409.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from souk.audit import service as audit
from souk.db.transactions import CONTENTION, retry_on_contention
from souk.delivery import store
from souk.delivery.models import APPROVED, PENDING, REJECTED, CourierVerification
from souk.delivery.schemas import (
    VerificationDecision,
    VerificationIn,
    VerificationOut,
    VerificationsQuery,
    verification_out,
)
from souk.errors import Conflict, InvalidState, NotFound, UnprocessableEntity, ValidationFailed
from souk.identity.service.users import get_user
from souk.notifications.schemas import Message
from souk.notifications.service.notifications import notify
from souk.notify.exceptions import NotificationError
from souk.observability import logger
from souk.uploads.service import claim_uploads

if TYPE_CHECKING:
    from souk.caller import Actor, Principal
    from souk.identity.models import User

DOCUMENT_PURPOSES = frozenset({"store_document", "attachment"})
ATTEMPTS = 5
_RETRY_ON = CONTENTION | {"ConditionalCheckFailed"}  # the item changed since read: read again, decide again


# --- pure rules ----------------------------------------------------------------------------


def check_documents(body: VerificationIn) -> None:
    """400 ``vehicleUploadId`` when both documents are the same upload."""
    if body.licence_upload_id == body.vehicle_upload_id:
        raise ValidationFailed.field("vehicleUploadId", "The vehicle document must be another upload than the licence.")


def check_submittable(current: CourierVerification | None) -> None:
    """409 INVALID_STATE once approved: nothing to resubmit. None, pending and rejected may submit."""
    if current is not None and current.status == APPROVED:
        raise InvalidState("Your courier account is already approved: there is nothing to resubmit.")


def submitted(current: CourierVerification | None, user_id: str, body: VerificationIn, now: datetime
              ) -> CourierVerification:  # fmt: skip
    """The item after a submission: pending with these documents, any earlier decision cleared."""
    return CourierVerification(
        user_id=user_id, status=PENDING, licence_upload_id=body.licence_upload_id,
        vehicle_upload_id=body.vehicle_upload_id, vehicle_type=body.vehicle_type, note=body.note, reason=None,
        submitted_at=now, decided_at=None, decided_by=None, version=_next_version(current),
        created_at=current.created_at if current else now, updated_at=now,
    )  # fmt: skip


def check_reason(decision: VerificationDecision) -> None:
    """400 ``reason`` when rejecting without saying why (the courier is told)."""
    if decision.status == REJECTED and not decision.reason:
        raise ValidationFailed.field("reason", "Say why the courier is rejected: they are told.")


def check_decidable(current: CourierVerification | None) -> CourierVerification:
    """The verification an admin may decide on: pending only (409 INVALID_STATE otherwise)."""
    if current is None:
        raise InvalidState("This courier has not submitted verification documents.")
    if current.status != PENDING:
        raise InvalidState(f"This courier's verification is already {current.status}.")
    return current


def decided(current: CourierVerification, decision: VerificationDecision, admin_id: str, now: datetime
            ) -> CourierVerification:  # fmt: skip
    """The item after an admin's decision (a reason is kept for a rejection only)."""
    return CourierVerification(
        user_id=current.user_id, status=decision.status, licence_upload_id=current.licence_upload_id,
        vehicle_upload_id=current.vehicle_upload_id, vehicle_type=current.vehicle_type, note=current.note,
        reason=decision.reason if decision.status == REJECTED else None, submitted_at=current.submitted_at,
        decided_at=now, decided_by=admin_id, version=_next_version(current), created_at=current.created_at,
        updated_at=now,
    )  # fmt: skip


def _next_version(current: CourierVerification | None) -> int:
    return int(current.version) + 1 if current is not None else 1


def _snapshot(item: CourierVerification | None) -> dict[str, object] | None:
    if item is None:
        return None
    return {
        "status": item.status,
        "licenceUploadId": item.licence_upload_id,
        "vehicleUploadId": item.vehicle_upload_id,
        "vehicleType": item.vehicle_type,
        "reason": item.reason,
    }


# --- operations ----------------------------------------------------------------------------


def submit(principal: Principal, body: VerificationIn) -> VerificationOut:
    """The caller's documents sent for review (new, replacing pending ones, or after a rejection).

    Cost: one GetItem, two BatchGetItems (and a HeadObject per upload used for the first
    time), one transaction; a lost race reads again (at most :data:`ATTEMPTS` tries).
    """
    check_documents(body)
    user_id = principal.user_id
    first = store.get_verification(user_id)
    check_submittable(first)  # before any upload is touched
    _claim(user_id, body.licence_upload_id, "licenceUploadId")
    _claim(user_id, body.vehicle_upload_id, "vehicleUploadId")
    reads = [first]

    def attempt() -> CourierVerification:
        current = reads.pop() if reads else store.get_verification(user_id)
        check_submittable(current)
        item = submitted(current, user_id, body, datetime.now(UTC))
        record = audit.build_record(principal.actor, "courier_verification.submit", "courier", user_id,
                                    before=_snapshot(current), after=_snapshot(item))  # fmt: skip
        store.save_verification(current, item, record)
        return item

    item = retry_on_contention(attempt, attempts=ATTEMPTS, retry_on=_RETRY_ON,
                               exhausted=lambda: Conflict("Your verification is being changed by another "
                                                          "request: try again."))  # fmt: skip
    return verification_out(item)


def _claim(user_id: str, upload_id: str, field: str) -> None:
    """The upload must be the caller's own finished one (:func:`claim_uploads`); 422 naming ``field`` otherwise."""
    try:
        claim_uploads(user_id, [upload_id], DOCUMENT_PURPOSES, field=field)
    except ValidationFailed as error:  # the request is well formed; the upload it names is not usable
        message = error.details[0]["message"] if error.details else error.message
        raise UnprocessableEntity(message, details=error.details) from None


def mine(principal: Principal) -> VerificationOut:
    """The caller's verification; 404 when they never submitted (one GetItem)."""
    current = store.get_verification(principal.user_id)
    if current is None:
        raise NotFound("You have not submitted verification documents yet.")
    return verification_out(current)


def review_queue(query: VerificationsQuery) -> tuple[list[VerificationOut], str | None]:
    """One page of the verifications in ``query.status``, oldest submission first (one Query)."""
    found, cursor = store.verifications_page(query.status, limit=query.limit, cursor=query.cursor)
    return [verification_out(v) for v in found], cursor


def courier_user(user_id: str) -> User:
    """The user if they are a courier; 404 for an unknown or deleted user and for any other role."""
    user = get_user(user_id, consistent=True)
    if user.role != "courier":
        raise NotFound("No such courier.")
    return user


def decide(principal: Principal, user_id: str, decision: VerificationDecision) -> VerificationOut:
    """An admin approves or rejects a pending verification; audited, then the courier is emailed.

    Conditional on the version read: of two admins deciding at once exactly one applies; the
    other reads again and gets 409 INVALID_STATE (already decided).
    """
    check_reason(decision)
    courier = courier_user(user_id)

    def attempt() -> CourierVerification:
        current = check_decidable(store.get_verification(user_id))
        item = decided(current, decision, principal.user_id, datetime.now(UTC))
        record = audit.build_record(principal.actor, "courier_verification.decide", "courier", user_id,
                                    before=_snapshot(current), after=_snapshot(item))  # fmt: skip
        store.save_verification(current, item, record)
        return item

    item = retry_on_contention(attempt, attempts=ATTEMPTS, retry_on=_RETRY_ON,
                               exhausted=lambda: Conflict("The verification is being changed by another request: "
                                                          "try again."))  # fmt: skip
    _email(courier, item)
    return verification_out(item)


def _email(courier: User, item: CourierVerification) -> None:
    """Best effort after the commit: the decision stands even if it cannot be notified.

    An ``account`` notification (emailed whatever the preferences say), once per decision: the
    verification's version names it."""
    variables: dict[str, str | int | float] = {"name": courier.name}
    if item.status == REJECTED:
        variables["reason"] = item.reason or ""
    approved = item.status == APPROVED
    try:
        template = "courier_verification_approved" if approved else "courier_verification_rejected"
        notify(item.user_id, "account", f"courier-verification:{item.user_id}", int(item.version),
               title="You can deliver now" if approved else "Your courier verification was rejected",
               body="Your documents are approved: go online to get offers." if approved
               else f"Your documents were not approved: {item.reason or 'no reason given'}.",
               data={"status": item.status}, email=Message(template, variables))  # fmt: skip
    except NotificationError as exc:
        logger.warning("courier verification email not queued",
                       extra={"user_id": item.user_id, "error_type": type(exc).__name__})  # fmt: skip


def grant(actor: Actor, user_id: str) -> VerificationOut:
    """Approve a courier without documents or review: for operators' tools only (the demo seed,
    test factories); no route calls it. Audited as ``courier_verification.grant``; already
    approved stays as it is."""
    courier_user(user_id)
    current = store.get_verification(user_id)
    if current is not None and current.status == APPROVED:
        return verification_out(current)
    now = datetime.now(UTC)
    item = CourierVerification(user_id=user_id, status=APPROVED, submitted_at=now, decided_at=now,
                               decided_by=actor.user_id, version=_next_version(current))  # fmt: skip
    record = audit.build_record(actor, "courier_verification.grant", "courier", user_id,
                                before=_snapshot(current), after=_snapshot(item))  # fmt: skip
    store.save_verification(current, item, record)
    return verification_out(item)
