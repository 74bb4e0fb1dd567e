"""Export jobs in the single table: create, read, list a user's, and the worker's state saves.

Every save of the worker is conditional on the state it read, so two deliveries of the same
message cannot both record a part: :func:`save_part` requires ``pages`` unchanged (a part always
holds at least one page, so ``pages`` grows with every part).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import DoesNotExist, UpdateError

from souk.db.base import utc_now
from souk.db.keys import created_sort
from souk.db.paging import decode_cursor_for, encode_cursor, one_page
from souk.exports import keys
from souk.exports.models import ExportJob

if TYPE_CHECKING:
    from datetime import datetime

FILE_DAYS = 7  # the bucket's lifecycle rule (template.yaml, ExportsBucket) removes files after this
FINISHED = ("completed", "failed")


class StaleJob(Exception):
    """Another delivery of the message moved the job first; this one stops (SQS may retry it)."""

    retryable = True


def _conditional_failed(error: Exception) -> bool:
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


def new_job(export_id: str, owner_id: str, owner_role: str, export_type: str, file_format: str,
            filters: dict[str, Any], now: datetime) -> ExportJob:  # fmt: skip
    extension = "csv" if file_format == "csv" else "jsonl"
    return ExportJob(pk=keys.export(export_id), sk=keys.EXPORT_SK, gsi1pk=keys.user_exports(owner_id),
                     gsi1sk=created_sort(now.isoformat(), export_id), export_id=export_id, owner_id=owner_id,
                     owner_role=owner_role, type=export_type, format=file_format, filters=filters,
                     object_key=keys.object_key(owner_id, export_id, extension), created_at=now,
                     updated_at=now)  # fmt: skip


def create(job: ExportJob) -> None:
    job.save(ExportJob.pk.does_not_exist())


def remove(job: ExportJob) -> None:
    """A job whose message could not be queued: nothing will build it."""
    job.delete()


def load(export_id: str, *, consistent: bool = False) -> ExportJob | None:
    try:
        return ExportJob.get(keys.export(export_id), keys.EXPORT_SK, consistent_read=consistent)
    except DoesNotExist:
        return None


def user_page(owner_id: str, limit: int, cursor: str | None) -> tuple[list[ExportJob], str | None]:
    """A page of the user's jobs, newest first: one Query on gsi1."""
    partition = keys.user_exports(owner_id)
    start = decode_cursor_for(cursor, "gsi1pk", partition)
    result = ExportJob.gsi1.query(partition, scan_index_forward=False, page_size=limit, last_evaluated_key=start)
    found, last_key = one_page(ExportJob, result)
    return [j for j in found if isinstance(j, ExportJob)], encode_cursor(last_key)


def _update(job: ExportJob, actions: list[Any], condition: Any) -> None:
    try:
        job.update(actions=[*actions, ExportJob.updated_at.set(utc_now())], condition=condition)
    except UpdateError as error:
        if _conditional_failed(error):
            raise StaleJob(f"export {job.export_id} moved meanwhile") from error
        raise


def start(job: ExportJob, upload_id: str | None) -> None:
    """``running``; with ``upload_id``: the multipart upload this job writes (once: conditional on none)."""
    actions: list[Any] = [ExportJob.status.set("running")]
    condition = ExportJob.status.is_in("queued", "running")
    if upload_id is not None:
        actions.append(ExportJob.upload_id.set(upload_id))
        condition &= ExportJob.upload_id.does_not_exist()
    _update(job, actions, condition)


def save_part(job: ExportJob, part: dict[str, Any], cursor: str | None, rows: int, pages: int, progress: int,
              *, last: bool = False) -> None:  # fmt: skip
    """The part uploaded, the cursor after its rows and the counts, conditional on the pages read before.

    ``job`` is refreshed with the item as saved (PynamoDB reads back the updated attributes).
    """
    _update(job, [ExportJob.parts.set([*job.parts, part]), ExportJob.cursor.set(cursor) if cursor else
                  ExportJob.cursor.remove(), ExportJob.row_count.add(rows), ExportJob.pages.add(pages),
                  ExportJob.progress.set(progress), ExportJob.drained.set(last)],
            (ExportJob.pages == job.pages) & (ExportJob.status == "running"))  # fmt: skip


def complete(job: ExportJob) -> None:
    now = utc_now()
    _update(job, [ExportJob.status.set("completed"), ExportJob.progress.set(100), ExportJob.completed_at.set(now),
                  ExportJob.expires_at.set(now + timedelta(days=FILE_DAYS))],
            ExportJob.status == "running")  # fmt: skip


def fail(job: ExportJob, error: str) -> None:
    _update(job, [ExportJob.status.set("failed"), ExportJob.error.set(error[:500])],
            ExportJob.status.is_in("queued", "running"))  # fmt: skip
