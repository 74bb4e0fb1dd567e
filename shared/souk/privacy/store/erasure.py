"""Erasure jobs in the table, and the request's one transaction.

Transactions here raise :class:`~souk.db.transactions.TransactionCancelled` with the item labels
named in each docstring; the service decides what a failure means to the caller.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pynamodb.exceptions import DoesNotExist

from souk.db.base import utc_now
from souk.db.transactions import WriteTransaction
from souk.identity import keys as identity_keys
from souk.identity.models import User
from souk.identity.store.api_keys import revoke_all_keys
from souk.privacy import keys
from souk.privacy.models import ErasureJob

if TYPE_CHECKING:
    from datetime import datetime

    from pynamodb.expressions.update import Action

    from souk.audit.models import AuditRecord

# Statuses from which an account may ask to be erased (``deleting``/``deleted`` are past that).
ERASABLE = ("active", "pending_verification", "suspended")


def load(user_id: str, *, consistent: bool = False) -> ErasureJob | None:
    try:
        return ErasureJob.get(keys.erasure(user_id), keys.ERASURE, consistent_read=consistent)
    except DoesNotExist:
        return None


def new_job(user: User, now: datetime) -> ErasureJob:
    return ErasureJob(pk=keys.erasure(user.user_id), sk=keys.ERASURE, user_id=user.user_id, status="deleting",
                      notify_email=user.email, notify_name=user.name, requested_at=now,
                      created_at=now, updated_at=now)  # fmt: skip


def request(user: User, job: ErasureJob, record: AuditRecord, *, other_admin: str | None) -> None:
    """In one transaction: the account ``deleting`` (versioned: label ``user``), the job (once per user:
    label ``job``), every API key revoked (label ``ring`` when a key was created meanwhile), and, for an
    admin, another admin still active (label ``admin``), with the audit record.

    Two admins erasing each other's last company at once: each checks an admin the other may be
    erasing; transactions are serializable, so the last to commit finds its check failed.
    """
    now = utc_now()
    with WriteTransaction() as tx:
        tx.update(user, [User.status.set("deleting"), User.updated_at.set(now)], User.status.is_in(*ERASABLE),
                  label="user")  # fmt: skip
        tx.put(job, ErasureJob.pk.does_not_exist(), label="job")
        revoke_all_keys(user.user_id, tx)
        if other_admin is not None:
            tx.check(User, identity_keys.user(other_admin), identity_keys.PROFILE,
                     (User.status == "active") & (User.role == "admin"), label="admin")  # fmt: skip
        tx.put(record, label=f"audit:{record.action}")


def save_step(job: ErasureJob, step: str | None, cursor: str | None, done: list[str]) -> None:
    """Where the erasure is now, conditional on the save read (UpdateError: another run moved it)."""
    actions: list[Action] = [ErasureJob.step.set(step) if step else ErasureJob.step.remove(),
               ErasureJob.cursor.set(cursor) if cursor else ErasureJob.cursor.remove(),
               ErasureJob.done.set(done), ErasureJob.seq.add(1), ErasureJob.updated_at.set(utc_now())]  # fmt: skip
    job.update(actions=actions, condition=(ErasureJob.seq == job.seq) & (ErasureJob.status == "deleting"))


def complete(job: ErasureJob, record: AuditRecord) -> None:
    """``deleted``, the notification address forgotten, with the audit record (label ``job``: done already)."""
    now = utc_now()
    with WriteTransaction() as tx:
        tx.update(job, [ErasureJob.status.set("deleted"), ErasureJob.completed_at.set(now),
                        ErasureJob.notify_email.remove(), ErasureJob.notify_name.remove(),
                        ErasureJob.step.remove(), ErasureJob.cursor.remove(), ErasureJob.updated_at.set(now)],
                  (ErasureJob.seq == job.seq) & (ErasureJob.status == "deleting"), label="job")  # fmt: skip
        tx.put(record, label=f"audit:{record.action}")
