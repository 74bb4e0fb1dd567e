"""Erasing an account (GDPR, ``DELETE /api/v1/me``): the request, then the worker's steps.

The request (:func:`request_erasure`), guarded like a password change (a signed-in session, the
current password, failures rate limited), commits in one transaction: the account ``deleting``
(sign-in refused from then on), the erasure job (one per user), every API key revoked and the
audit record ``account.erasure_requested``. Then the job's message is queued and every session
revoked: the answer is 202 ``{status: "deleting"}``.

The worker (:func:`run`) walks the privacy hooks (:mod:`souk.privacy.hooks`) in their ORDER, one
bounded ``erase`` call at a time, saving the hook and its cursor on the job after each call
(conditional on the save it read): a crash resumes from the last save, and a step is safe to run
twice (every hook is idempotent). After its time budget it re-queues the job's message. When the
last hook (identity: the user item anonymised, the email freed) is done, the confirmation email
is queued and the job completed (audited ``account.erased``) in one conditional write.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pynamodb.exceptions import UpdateError

from souk.audit import service as audit
from souk.db.base import utc_now
from souk.db.ratelimit import RateLimit
from souk.db.transactions import TransactionCancelled
from souk.errors import Conflict, InvalidCredentials, ServiceUnavailable, ValidationFailed
from souk.identity import passwords
from souk.identity.service.sessions import require_session
from souk.identity.service.users import get_user
from souk.identity.store import sessions as session_store
from souk.identity.store import users as user_store
from souk.notify.service import enqueue_email
from souk.observability import logger
from souk.privacy import hooks
from souk.privacy.schemas import ErasureMessage, ErasureOut
from souk.privacy.store import erasure as store
from souk.privacy.store import queue

if TYPE_CHECKING:
    from collections.abc import Callable

    from souk.caller import Principal
    from souk.privacy.models import ErasureJob
    from souk.privacy.schemas import EraseRequest

PASSWORD_FAILURES = RateLimit("erasure-password-failures", limit=5, window_seconds=15 * 60)


def erasure_out(job: ErasureJob) -> ErasureOut:
    status: Literal["deleting", "deleted"] = "deleted" if job.status == "deleted" else "deleting"
    return ErasureOut(user_id=job.user_id, status=status, requested_at=job.requested_at,
                      completed_at=job.completed_at, steps_done=list(job.done or []))  # fmt: skip


def _check_password(user_id: str, password_hash: str | None, password: str | None) -> None:
    """The current password, as a password change checks it (5 failures per 15 minutes, then 429).
    An account that signs in only with a provider has none: its signed-in session is the proof."""
    if password_hash is None:
        return
    if not password:
        raise ValidationFailed.field("password", "Enter your current password to delete your account.")
    state = PASSWORD_FAILURES.peek(user_id)
    if state.count >= PASSWORD_FAILURES.limit:
        raise state.error()
    if not passwords.verify_password(password_hash, password):
        failed = PASSWORD_FAILURES.hit(user_id)
        raise InvalidCredentials("The current password is wrong.", headers=failed.headers())


def _refusals(user_id: str) -> None:
    """409 when a hook refuses the erasure now (a hook's optional ``refusal(user_id)``, e.g. the last
    owner of a team that has other members)."""
    for declared in hooks.hooks():
        refusal = getattr(declared.hook, "refusal", None)
        reason = refusal(user_id) if refusal is not None else None
        if reason:
            raise Conflict(reason)


def request_erasure(principal: Principal, body: EraseRequest) -> ErasureOut:
    """Mark the caller's account ``deleting`` and start its erasure (see the module doc).

    Raises
    ------
    Forbidden
        An API key (security settings are changed from a signed-in session only).
    ValidationFailed
        No password for an account that has one.
    InvalidCredentials
        The password is wrong (401, as a password change answers).
    Conflict
        The last active admin; the last owner of a team with other members; a concurrent change.
    ServiceUnavailable
        The job could not be queued: the account stays ``deleting`` with its sessions, retry.
    """
    require_session(principal)
    user = get_user(principal.user_id, consistent=True)
    _check_password(user.user_id, user.password_hash, body.password)
    existing = store.load(user.user_id, consistent=True)
    if existing is not None:  # asked before (twice at once, or its message could not be queued): go on
        return _launch(existing)
    _refusals(user.user_id)
    other_admin = None
    if user.role == "admin":
        other_admin = user_store.other_active_admin(user.user_id)
        if other_admin is None:
            raise Conflict("The last admin cannot delete their account; make another admin first.")
    job = store.new_job(user, utc_now())
    record = audit.build_record(principal.actor, "account.erasure_requested", "user", user.user_id,
                                before={"status": user.status}, after={"status": "deleting"})  # fmt: skip
    try:
        store.request(user, job, record, other_admin=other_admin)
    except TransactionCancelled as cancelled:
        if "admin" in cancelled.failed():
            raise Conflict("The last admin cannot delete their account; make another admin first.") from None
        existing = store.load(user.user_id, consistent=True)
        if existing is None:
            raise Conflict("The account changed at the same time; retry.") from None
        return _launch(existing)  # the other request made the job: one job, both answered 202
    return _launch(job)


def _launch(job: ErasureJob) -> ErasureOut:
    """Queue the job's run, then revoke every session (after: a failed enqueue leaves the caller
    signed in to retry). A duplicate message is harmless: saves are conditional on the one read."""
    if job.status != "deleted":
        try:
            queue.send(ErasureMessage(user_id=job.user_id))
        except queue.EnqueueFailed as error:
            raise ServiceUnavailable("The account deletion could not be queued; retry.") from error
    session_store.revoke_all(job.user_id, reason="account_erasure")
    return erasure_out(job)


# --- the worker


def _remaining(declared: list[str], done: list[str]) -> str | None:
    return next((name for name in declared if name not in done), None)


def run(message: ErasureMessage, should_stop: Callable[[], bool]) -> str:
    """Go on erasing the account. Returns ``completed``, ``requeued``, ``finished`` (done already),
    ``busy`` (another run saved first: it goes on) or ``gone`` (no job)."""
    job = store.load(message.user_id, consistent=True)
    if job is None:
        return "gone"
    if job.status == "deleted":
        return "finished"
    by_name = {d.name: d.hook for d in hooks.hooks()}
    names = list(by_name)
    done: list[str] = list(job.done or [])
    step = job.step if job.step in by_name and job.step not in done else _remaining(names, done)
    cursor = job.cursor if step == job.step else None
    while step is not None:
        next_cursor = by_name[step].erase(job.user_id, cursor)
        if next_cursor is None:
            done = [*done, step]
            following = _remaining(names, done)
        else:
            following = step
        try:
            store.save_step(job, following, next_cursor, done)
        except UpdateError:
            logger.info("erasure moved by another run", extra={"user_id": job.user_id, "step": step})
            return "busy"
        job.step, job.cursor, job.done = following, next_cursor, done  # seq: the update read it back
        step, cursor = following, next_cursor
        if step is not None and should_stop():
            queue.send(ErasureMessage(user_id=job.user_id))
            logger.info("erasure re-queued", extra={"user_id": job.user_id, "step": step})
            return "requeued"
    return _finish(job)


def _finish(job: ErasureJob) -> str:
    """The confirmation email (its id fixed: a retry queues the same one), then the job completed."""
    if job.notify_email:
        enqueue_email("account_deleted", job.notify_email, {"name": job.notify_name or "there"},
                      idempotency_id=f"erasure:{job.user_id}")  # fmt: skip
    after = {"status": "deleted", "steps": list(job.done)}
    record = audit.build_record(audit.SYSTEM, "account.erased", "user", job.user_id, before={"status": "deleting"},
                                after=after)  # fmt: skip
    try:
        store.complete(job, record)
    except TransactionCancelled:
        return "finished"
    logger.info("account erased", extra={"user_id": job.user_id, "steps": len(job.done)})
    return "completed"
