"""The exports worker's step: go on building one export, one ``exports`` message at a time (:func:`build`):

1. The job's multipart upload is created once (its id saved on the job, conditionally).
2. Data pages are read from the job's saved cursor and their rows encoded (CSV with a header, or
   JSON Lines) into a buffer. When the buffer holds a part (5 MiB; every part but the last) or
   the data ends, the part is uploaded and then the job saves, in one conditional update, the
   part's ETag, the cursor after its rows, ``rowCount`` and ``progress``.
3. A crash before that save loses nothing: the message comes back, the worker reads again from
   the saved cursor and uploads the same part number again (S3 keeps the last upload of a
   number). Rows are never in two parts: a part's rows are exactly those between two saved cursors.
4. After the time budget the worker drops its unsent buffer (those rows are read again), re-queues
   the job's message and returns; the next invocation goes on from the saved cursor.
5. The last part's save also marks the job ``drained`` (its cursor is None then, as at the start); at
   the end the upload is completed and the job is ``completed`` (progress 100). A crash in between
   resumes by completing the upload only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from souk.exports import rules
from souk.exports.schemas import ExportMessage
from souk.exports.service import sources
from souk.exports.store import exports as store
from souk.exports.store import files
from souk.observability import logger

if TYPE_CHECKING:
    from collections.abc import Callable

    from souk.exports.models import ExportJob


def build(message: ExportMessage, should_stop: Callable[[], bool], *, part_size: int = rules.MIN_PART_SIZE,
          page_size: int = rules.PAGE_SIZE) -> str:  # fmt: skip
    """Go on building the export (see the module doc). Returns ``completed``, ``requeued``, ``finished``
    (the job was already done or failed) or ``gone`` (no such job)."""
    job = store.load(message.export_id, consistent=True)
    if job is None:
        return "gone"
    if job.status in store.FINISHED:
        return "finished"
    if job.upload_id is None:
        upload_id = files.start_upload(job.object_key, job.format)
        store.start(job, upload_id)  # StaleJob if another delivery saved one first: SQS retries, then reads it
        job.upload_id, job.status = upload_id, "running"
    elif job.status != "running":
        store.start(job, None)
        job.status = "running"
    return _run(job, should_stop, part_size, page_size)


def _finish(job: ExportJob) -> str:
    files.complete_upload(job.object_key, job.upload_id or "", list(job.parts))
    store.complete(job)
    logger.info("export completed", extra={"export_id": job.export_id, "rows": int(job.row_count)})
    return "completed"


def _run(job: ExportJob, should_stop: Callable[[], bool], part_size: int, page_size: int) -> str:
    if job.drained:  # a crash after the last part was saved: the data is all uploaded
        return _finish(job)
    upload_id = job.upload_id or ""
    columns = sources.columns(job.type)
    buffer = bytearray(rules.csv_header(columns) if job.format == "csv" and not job.parts else b"")
    cursor: str | None = job.cursor
    rows, pages = 0, 0
    while True:
        found, cursor = sources.page(job, cursor, page_size)
        buffer += rules.encode_rows(found, columns, job.format)
        rows, pages = rows + len(found), pages + 1
        done = cursor is None
        if done or rules.part_ready(len(buffer), part_size):
            part = files.upload_part(job.object_key, upload_id, rules.next_part_number(job.parts), bytes(buffer))
            progress = rules.progress(int(job.pages) + pages, done=False)
            # the job's attributes are the saved ones now
            store.save_part(job, part, cursor, rows, pages, progress, last=done)
            buffer.clear()
            rows, pages = 0, 0
        if done:
            return _finish(job)
        if should_stop():
            files.send(ExportMessage(export_id=job.export_id))  # the rows in the buffer are read again then
            logger.info("export re-queued", extra={"export_id": job.export_id, "parts": len(job.parts)})
            return "requeued"


def fail(export_id: str, error: str) -> None:
    """Mark the job failed (its message went to the dead-letter queue's way: the last receive failed)."""
    job = store.load(export_id, consistent=True)
    if job is not None and job.status not in store.FINISHED:
        store.fail(job, error)
