"""Lists in time order: a ``from``/``to`` window as a key range on a timeline sort key.

Orders, payments and ledger entries index themselves under ``keys.timeline_sort(stamp, id)``
with fixed-width UTC stamps (:func:`souk.db.expiry.stamp`), so a date window is a key
condition of the one Query a page costs, not a filter over what it reads.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import Field, model_validator

from souk.db import keys
from souk.db.expiry import stamp
from souk.schema import PageQuery

if TYPE_CHECKING:
    from pynamodb.expressions.condition import Condition


def as_utc(moment: datetime) -> datetime:
    """A naive datetime is read as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


class TimelineQuery(PageQuery):
    """A page of a timeline, optionally within ``from`` .. ``to`` (both inclusive)."""

    from_: datetime | None = Field(None, alias="from", description="At or after (ISO-8601, UTC if no zone).")
    to: datetime | None = Field(None, description="At or before (ISO-8601, UTC if no zone).")

    @model_validator(mode="after")
    def _window(self) -> TimelineQuery:
        if self.from_ and self.to and as_utc(self.from_) > as_utc(self.to):
            raise ValueError("`from` must not be after `to`")
        return self


def window(sort_key: Any, query: TimelineQuery) -> Condition | None:
    """The key condition on ``sort_key`` for the query's window, or None without one."""
    low = keys.timeline_sort(stamp(as_utc(query.from_)), "") if query.from_ else None
    # "~" sorts after every id character: everything stamped exactly at ``to`` is included.
    high = keys.timeline_sort(stamp(as_utc(query.to)), "~") if query.to else None
    if low and high:
        return sort_key.between(low, high)
    if low:
        return sort_key >= low
    if high:
        return sort_key <= high
    return None


def all_of(*conditions: Condition | None) -> Condition | None:
    """The conjunction of the conditions given (None ones skipped), or None."""
    combined: Condition | None = None
    for condition in conditions:
        if condition is not None:
            combined = condition if combined is None else combined & condition
    return combined
