"""Finding audit records: each filter combination planned onto one index Query (never a Scan).

Planning is pure (:func:`plan`): the most selective key filter picks the index, the time range
becomes a range on its sort key (``<iso ts>#<id>``), and the remaining filters become a
FilterExpression on that one page (``souk.db.paging.one_page`` bounds it: a filtered page may come
back short, with a cursor to go on).

=====================================  =================  ==========================
filters given                          index              FilterExpression
=====================================  =================  ==========================
resource (+ actor, action)             gsi2 (resource)    actorId, action
actor (+ action)                       gsi1 (actor)       action
action                                 gsi3 (action)      none
none, ``from``/``to`` in one UTC day   table (day)        none
none, a range over several days        refused: 400 (it would need a Query per day)
=====================================  =================  ==========================

An export (:func:`find_all`, for :mod:`souk.audit.exporting`) goes through the same plans page after
page; without actor, resource or action it walks the day partitions instead of refusing a range over
several days: one Query a page, from ``to``'s day back to ``from``'s (default: the oldest day the
retention keeps).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pynamodb.expressions.condition import Condition

from souk.audit import keys
from souk.audit.models import AuditRecord
from souk.audit.store import RETENTION
from souk.db.paging import decode_cursor, decode_cursor_for, encode_cursor, one_page
from souk.errors import ValidationFailed

# The longest range the report sums (one Query per day): a month and a day.
MAX_REPORT_DAYS = 31


@dataclass(frozen=True)
class Filters:
    actor: str | None = None
    resource_type: str | None = None
    resource_id: str | None = None
    action: str | None = None
    start: datetime | None = None  # inclusive
    end: datetime | None = None  # exclusive


@dataclass(frozen=True)
class Plan:
    index: str  # "gsi1", "gsi2", "gsi3" or "table"
    partition: str  # the hash key value
    key_attribute: str  # the hash key attribute (pk, gsi1pk...), for the cursor check
    filters: dict[str, str]  # model attribute name -> value, applied as a FilterExpression


def parse_resource(value: str) -> tuple[str, str]:
    """``order:01H...`` -> (``order``, ``01H...``); anything else is a 400 on ``resource``."""
    resource_type, sep, resource_id = value.partition(":")
    if not sep or not resource_type or not resource_id:
        raise ValidationFailed.field("resource", "Give the resource as <type>:<id>, e.g. order:01HX...")
    return resource_type, resource_id


def utc(moment: datetime) -> datetime:
    """A naive time read as UTC; an aware one converted to UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def stamp(moment: datetime) -> str:
    """The sort-key prefix of a record written at ``moment`` (as :func:`souk.audit.store.new_record` writes it)."""
    return utc(moment).isoformat(timespec="milliseconds")


def check_range(start: datetime | None, end: datetime | None) -> None:
    if start is not None and end is not None and utc(start) >= utc(end):
        raise ValidationFailed.field("from", "`from` must be before `to`.")


def plan(filters: Filters, *, now: datetime | None = None) -> Plan:
    """The one index Query that serves ``filters`` (a 400 naming the combination when none does)."""
    check_range(filters.start, filters.end)
    if filters.resource_type is not None and filters.resource_id is not None:
        extra: dict[str, str] = {}
        if filters.actor is not None:
            extra["actor_id"] = filters.actor
        if filters.action is not None:
            extra["action"] = filters.action
        return Plan("gsi2", keys.audit_resource(filters.resource_type, filters.resource_id), "gsi2pk", extra)
    if filters.actor is not None:
        extra = {"action": filters.action} if filters.action is not None else {}
        return Plan("gsi1", keys.audit_actor(filters.actor), "gsi1pk", extra)
    if filters.action is not None:
        return Plan("gsi3", keys.audit_action(filters.action), "gsi3pk", {})
    end = utc(filters.end) if filters.end is not None else utc(now or datetime.now(UTC))
    last_day = (end - timedelta(milliseconds=1)).date() if filters.end is not None else end.date()
    first_day = utc(filters.start).date() if filters.start is not None else last_day
    if first_day != last_day:
        raise ValidationFailed.field(
            "from", "Without actor, resource or action, `from` and `to` must lie within one UTC day "
                    "(the log is partitioned by day): add a filter or narrow the range.")  # fmt: skip
    return Plan("table", keys.audit_day(last_day.isoformat()), "pk", {})


def _range_condition(sort_key: Any, start: datetime | None, end: datetime | None) -> Condition | None:
    # Sort keys are "<iso ts>#<id>": "<from>" <= key < "<to>" selects [from, to).
    if start is not None and end is not None:
        return sort_key.between(stamp(start), stamp(end))  # type: ignore[no-any-return]
    if start is not None:
        return sort_key >= stamp(start)  # type: ignore[no-any-return]
    if end is not None:
        return sort_key < stamp(end)  # type: ignore[no-any-return]
    return None


def find(filters: Filters, *, limit: int, cursor: str | None) -> tuple[list[AuditRecord], str | None]:
    """One page of records, newest first: exactly one Query whatever the log holds."""
    chosen = plan(filters)
    start_key = decode_cursor_for(cursor, chosen.key_attribute, chosen.partition)
    filter_condition: Condition | None = None
    for name, value in chosen.filters.items():
        clause = getattr(AuditRecord, name) == value
        filter_condition = clause if filter_condition is None else filter_condition & clause
    common: dict[str, Any] = {"filter_condition": filter_condition, "page_size": limit,
                              "last_evaluated_key": start_key, "scan_index_forward": False}  # fmt: skip
    if chosen.index == "table":
        range_condition = _range_condition(AuditRecord.sk, filters.start, filters.end)
        result = AuditRecord.query(chosen.partition, range_condition, **common)
    else:
        index = getattr(AuditRecord, chosen.index)
        sort_key = getattr(AuditRecord, f"{chosen.index}sk")
        result = index.query(chosen.partition, _range_condition(sort_key, filters.start, filters.end), **common)
    items, last_key = one_page(AuditRecord, result)
    return items, encode_cursor(last_key)


def days_of(filters: Filters, *, now: datetime | None = None) -> tuple[date, date]:
    """The first and last UTC days a range covers (``to`` exclusive; default: today back to the oldest
    day :data:`souk.audit.store.RETENTION` keeps)."""
    end = utc(filters.end) if filters.end is not None else utc(now or datetime.now(UTC))
    last_day = (end - timedelta(milliseconds=1)).date() if filters.end is not None else end.date()
    first_day = utc(filters.start).date() if filters.start is not None else last_day - timedelta(days=RETENTION.days)
    return first_day, last_day


def find_all(filters: Filters, *, limit: int, cursor: str | None) -> tuple[list[AuditRecord], str | None]:
    """One page of every record ``filters`` select, newest first, and the cursor after it (None: the end):
    one Query a page. With actor, resource or action that is :func:`find` (one index, any range); without,
    the day partitions ``AUDIT#<day>`` from the range's last day back to its first, the position (day and
    LastEvaluatedKey) in a signed cursor. An empty day is an empty page with a cursor to the day before."""
    if filters.actor is not None or filters.resource_id is not None or filters.action is not None:
        return find(filters, limit=limit, cursor=cursor)
    check_range(filters.start, filters.end)
    state = decode_cursor(cursor) or {}
    first_day, last_day = days_of(filters)
    try:
        day = date.fromisoformat(state["d"]) if "d" in state else last_day
    except (TypeError, ValueError):
        raise ValidationFailed.field("cursor", "The cursor is invalid; start again without it.") from None
    result = AuditRecord.query(keys.audit_day(day.isoformat()), _range_condition(AuditRecord.sk, filters.start,
                               filters.end), page_size=limit, last_evaluated_key=state.get("k"),
                               scan_index_forward=False)  # fmt: skip
    items, last_key = one_page(AuditRecord, result)
    if last_key is not None:
        return items, encode_cursor({"d": day.isoformat(), "k": last_key})
    if day > first_day:
        return items, encode_cursor({"d": (day - timedelta(days=1)).isoformat()})
    return items, None
