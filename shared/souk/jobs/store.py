"""The jobs' DynamoDB access: the cleanup's cursor, pages of an expiry-index bucket, conditional deletes."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DeleteError, DoesNotExist, PutError

from souk.db import expiry
from souk.db import keys as db_keys
from souk.db.base import SoukItem
from souk.jobs import keys
from souk.jobs.models import JobCursor

RawItem = dict[str, Any]


def conditional_failure(error: Exception) -> bool:
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


def _cursor_key(job: str) -> tuple[str, str]:
    return keys.job(job), keys.JOB_CURSOR


def last_bucket(job: str) -> str | None:
    """The job's cursor: the last hour bucket it finished, or None before its first run."""
    try:
        return JobCursor.get(*_cursor_key(job), consistent_read=True).last_bucket
    except DoesNotExist:
        return None


def save_cursor(job: str, bucket: str) -> None:
    pk, sk = _cursor_key(job)
    try:
        # Never backwards: a slower concurrent run (a duplicate delivery) must not rewind it.
        JobCursor(pk=pk, sk=sk, last_bucket=bucket).save(
            condition=JobCursor.pk.does_not_exist() | (JobCursor.last_bucket < bucket)
        )
    except PutError as error:
        if not conditional_failure(error):
            raise


def bucket_page(bucket: str, upper: str, start_key: dict[str, Any] | None, limit: int) -> dict[str, Any]:
    """One page (raw items, ``LastEvaluatedKey``) of a bucket's entries that expired before ``upper``: a Query."""
    return SoukItem._get_connection().query(db_keys.expiry_bucket(bucket), range_key_condition=SoukItem.gsi4sk < upper,
                                            index_name=expiry.INDEX_NAME, exclusive_start_key=start_key,
                                            limit=limit)  # fmt: skip


def delete_unchanged(model: type[SoukItem], raw: RawItem) -> bool:
    """Delete the item if its index entry is still the one read (else it was re-created or is gone)."""
    item = model.from_raw_data(raw)
    try:
        item.delete(condition=model.gsi4sk == item.gsi4sk)
    except DeleteError as error:
        if conditional_failure(error):
            return False
        raise
    return True
