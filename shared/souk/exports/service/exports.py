"""Exports: queue a job (POST), read it with a fresh download link (GET), list one's jobs.

The types are the sources the domains declare (:mod:`souk.exports.service.sources`): each says who may
ask for it and which filters it takes. An ``internal`` source is started only by its domain's service
through :func:`start_internal`, never by ``POST /api/v1/exports`` (privacy's GDPR ``account`` export:
``GET /api/v1/me/export`` calls ``start_internal(user_id, "account", "json")``; the job is then read
like any other through ``GET /api/v1/exports/{id}``). The worker that builds the file is
:mod:`souk.exports.service.builder` (the routes do not import it, nor the exported domains' services).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from pydantic import ConfigDict, ValidationError

from souk.admin_settings import service as settings
from souk.db.base import utc_now
from souk.errors import Forbidden, NotFound, ServiceUnavailable, ValidationFailed
from souk.exports import rules
from souk.exports.schemas import ExportMessage, ExportOut
from souk.exports.service import sources
from souk.exports.store import exports as store
from souk.exports.store import files
from souk.ids import new_id
from souk.plans.service import usage
from souk.plans.service.entitlements import Subscriber
from souk.schema import CamelModel

if TYPE_CHECKING:
    from souk.caller import Principal
    from souk.exports.models import ExportJob
    from souk.exports.schemas import ExportIn
    from souk.registry import Source
    from souk.schema import PageQuery

DOWNLOAD_SECONDS = 15 * 60
INTERNAL_ROLE = "internal"  # the scope role of a job another domain's service started


class NoFilters(CamelModel):
    """The filters of a source that takes none: any key is a 400."""

    model_config = ConfigDict(extra="forbid")


def export_out(job: ExportJob, *, with_link: bool = True) -> ExportOut:
    url, expires = None, None
    if with_link and job.status == "completed":
        url = files.download_url(job.object_key, DOWNLOAD_SECONDS)
        expires = utc_now() + timedelta(seconds=DOWNLOAD_SECONDS)
    status: Any = job.status  # queued | running | completed | failed: only this domain writes it
    return ExportOut(id=job.export_id, type=job.type, format=job.format, status=status,
                     progress=int(job.progress), row_count=int(job.row_count), download_url=url, expires_at=expires,
                     created_at=job.created_at, completed_at=job.completed_at)  # fmt: skip


def valid_filters(source: Source, raw: dict[str, Any]) -> dict[str, Any]:
    """The request's filters checked against the source's model, as saved on the job (camelCase, no nulls)."""
    model = source.filters or NoFilters
    try:
        return model.model_validate(raw).model_dump(mode="json", by_alias=True, exclude_none=True)
    except ValidationError as error:
        details = [{"field": ".".join(["filters", *(str(p) for p in e["loc"])]), "message": e["msg"]}
                   for e in error.errors()]  # fmt: skip
        raise ValidationFailed(details=details) from error


def _queue(job: ExportJob) -> ExportOut:
    """The job, written, then its message queued (a message that cannot be queued removes the job: 503)."""
    store.create(job)
    try:
        files.send(ExportMessage(export_id=job.export_id))
    except files.EnqueueFailed as error:
        store.remove(job)
        raise ServiceUnavailable("The export could not be queued; retry.") from error
    return export_out(job)


def create_export(principal: Principal, body: ExportIn) -> ExportOut:
    """``POST /api/v1/exports``: a public source the caller's role may ask for, its filters valid.

    Raises
    ------
    ValidationFailed
        The type is no public source (every type ``ExportIn`` names is declared: ``test_sources``), or its
        filters do not fit the source's model (``filters.<field>``).
    Forbidden
        The source is not for the caller's role (users and audit logs: admins only), an admin turned
        exports off (admin settings ``features.exports``; ``details`` names it), or the caller's plan's
        ``exportsPerMonth`` is used up this billing period (``details`` names it; admins have no plan limit).
    ServiceUnavailable
        The message could not be queued (the job is removed).
    """
    source = sources.get(body.type)
    if source is None or source.internal:
        raise ValidationFailed.field("type", f"Exports of {body.type} are not started here.")
    if not rules.may_export(principal.role, source.roles):
        raise Forbidden(f"Exports of {body.type} are for {' and '.join(sorted(source.roles))} only.")
    filters = valid_filters(source, body.filters)
    if not settings.current().features.exports:
        raise Forbidden("Exports are turned off for now.",
                        details=[{"field": "features.exports", "message": "An admin turned exports off."}])  # fmt: skip
    # The caller's plan's exportsPerMonth: counted once for this job's id before the job is written, a 403
    # naming the limit when the period's exports reached it (souk.plans.service.usage). Admins are the
    # platform's staff, not a plan's subscriber; start_internal takes no limit either.
    export_id = new_id()
    counted = not principal.is_admin
    if counted:
        usage.reserve(Subscriber("user", principal.user_id), "exports", export_id)
    job = store.new_job(export_id, principal.user_id, principal.role, body.type, body.format, filters, utc_now())
    try:
        return _queue(job)
    except ServiceUnavailable:
        if counted:  # never queued: the export is given back to the period
            usage.release(Subscriber("user", principal.user_id), "exports", export_id)
        raise


def start_internal(owner_id: str, export_type: str, file_format: str = "json",
                   filters: dict[str, Any] | None = None) -> ExportOut:  # fmt: skip
    """Start an ``internal`` source's export for ``owner_id`` (another domain's service calls this, e.g.
    privacy's ``GET /api/v1/me/export``). The job is the owner's (``GET /api/v1/exports/{id}`` shows it
    to them, with its link), its scope role ``internal``; no plan limit applies (it is not the
    owner's own use of exports but what the platform owes them).

    Raises
    ------
    ValueError
        ``export_type`` is no internal source (a programming error, not a request's).
    ServiceUnavailable
        The message could not be queued (the job is removed).
    """
    source = sources.get(export_type)
    if source is None or not source.internal:
        raise ValueError(f"{export_type!r} is not a declared internal export source")
    checked = valid_filters(source, filters or {})
    return _queue(store.new_job(new_id(), owner_id, INTERNAL_ROLE, export_type, file_format, checked, utc_now()))


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
