"""Exports: queue a job (POST), read it with a fresh download link (GET), list one's jobs.

The worker that builds the file is :mod:`souk.exports.service.builder` (the routes do not import it,
nor the exported domains it reads).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from souk.db.base import utc_now
from souk.errors import Forbidden, NotFound, ServiceUnavailable, ValidationFailed
from souk.exports import rules
from souk.exports.schemas import ExportMessage, ExportOut
from souk.exports.store import exports as store
from souk.exports.store import files
from souk.ids import new_id

if TYPE_CHECKING:
    from souk.caller import Principal
    from souk.exports.models import ExportJob
    from souk.exports.schemas import ExportIn
    from souk.schema import PageQuery

DOWNLOAD_SECONDS = 15 * 60


def export_out(job: ExportJob, *, with_link: bool = True) -> ExportOut:
    url, expires = None, None
    if with_link and job.status == "completed":
        url = files.download_url(job.object_key, DOWNLOAD_SECONDS)
        expires = utc_now() + timedelta(seconds=DOWNLOAD_SECONDS)
    status: Any = job.status  # queued | running | completed | failed: only this domain writes it
    return ExportOut(id=job.export_id, type=job.type, format=job.format, status=status,
                     progress=int(job.progress), row_count=int(job.row_count), download_url=url, expires_at=expires,
                     created_at=job.created_at, completed_at=job.completed_at)  # fmt: skip


def create_export(principal: Principal, body: ExportIn) -> ExportOut:
    """The job, written, then its message queued (a message that cannot be queued removes the job: 503)."""
    if not rules.may_export(principal.role, body.type):
        raise Forbidden("Only admins export users and audit logs.")
    if body.type not in rules.SUPPORTED:
        raise ValidationFailed.field("type", f"Exports of {body.type} are not available yet.")
    job = store.new_job(new_id(), principal.user_id, principal.role, body.type, body.format,
                        body.filters.model_dump(mode="json", exclude_none=True), utc_now())  # fmt: skip
    store.create(job)
    try:
        files.send(ExportMessage(export_id=job.export_id))
    except files.EnqueueFailed as error:
        store.remove(job)
        raise ServiceUnavailable("The export could not be queued; retry.") from error
    return export_out(job)


def _own(principal: Principal, export_id: str) -> ExportJob:
    job = store.load(export_id, consistent=True)
    if job is None or job.owner_id != principal.user_id:
        raise NotFound("No such export.")
    return job


def get_export(principal: Principal, export_id: str) -> ExportOut:
    return export_out(_own(principal, export_id))


def list_exports(principal: Principal, query: PageQuery) -> tuple[list[ExportOut], str | None]:
    """A page of the caller's exports, newest first (no links: read one to get its link)."""
    jobs, cursor = store.user_page(principal.user_id, query.limit, query.cursor)
    return [export_out(j, with_link=False) for j in jobs], cursor
