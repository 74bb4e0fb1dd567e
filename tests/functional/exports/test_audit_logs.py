"""The audit_logs export (admins only): GET /audit-logs's filters through the same indexes, days walked."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from typing import Any

import pytest

from souk.audit import exporting
from souk.audit.models import AuditRecord
from souk.exports.store import exports as jobs
from souk.registry import ExportScope
from tests.factories import create_user, token_for
from tests.functional.audit.test_audit_logs import DAY, seed
from tests.functional.exports.conftest import Queue, Worker, read_file
from tests.support import ApiClient, assert_error

EXPORTS = "/api/v1/exports"
HOUR = timedelta(hours=1)


@pytest.fixture
def records(aws_resources: dict[str, str]) -> dict[str, AuditRecord]:
    return {
        "a": seed("U1", "order.cancel", "order:O1", DAY + 1 * HOUR),
        "b": seed("U1", "product.update", "product:=1+2", DAY + 2 * HOUR),
        "c": seed("U2", "order.cancel", "order:O1", DAY + 3 * HOUR),
        "d": seed("U2", "order.cancel", "order:O2", DAY + timedelta(days=2)),  # the day between is empty
        "e": seed("U1", "order.cancel", "order:O1", DAY - timedelta(days=1)),
    }


def _export(api: ApiClient, body: dict[str, Any], aws: dict[str, str], worker: Worker) -> str:
    token = token_for(create_user("admin"))
    response = api.post(EXPORTS, json_body=body, token=token)
    assert response.status == 202, response.body
    Queue(aws["ExportsQueue"]).drain(worker)
    done = api.get(f"{EXPORTS}/{response.json['data']['id']}", token=token).json["data"]
    assert done["status"] == "completed", done
    job = jobs.load(done["id"])
    assert job is not None
    return read_file(aws["ExportsBucket"], job.object_key).decode()


def _ids(data: str) -> list[str]:
    return [json.loads(line)["id"] for line in data.splitlines()]


def test_filters_go_through_the_audit_indexes_newest_first(
    api: ApiClient, aws_resources: dict[str, str], worker: Worker, records: dict[str, AuditRecord]
) -> None:
    r = {k: v.audit_id for k, v in records.items()}
    actor = _export(api, {"type": "audit_logs", "format": "json", "filters": {"actor": "U1"}}, aws_resources, worker)
    assert _ids(actor) == [r["b"], r["a"], r["e"]]
    row = json.loads(actor.splitlines()[0])
    assert (row["action"], row["resourceType"], row["resourceId"], row["after"]) == (
        "product.update", "product", "=1+2", '{"n":1}')  # fmt: skip
    both = {"resource": "order:O1", "action": "order.cancel", "from": (DAY - timedelta(hours=1)).isoformat(),
            "to": (DAY + timedelta(days=1)).isoformat()}  # fmt: skip
    assert _ids(_export(api, {"type": "audit_logs", "format": "json", "filters": both}, aws_resources, worker)) == [
        r["c"], r["a"]]  # fmt: skip
    action = _export(api, {"type": "audit_logs", "format": "json", "filters": {"action": "order.cancel"}},
                     aws_resources, worker)  # fmt: skip
    assert _ids(action) == [r["d"], r["c"], r["a"], r["e"]]


def test_without_a_key_filter_the_days_are_walked_and_csv_neutralised(
    api: ApiClient, aws_resources: dict[str, str], worker: Worker, records: dict[str, AuditRecord]
) -> None:
    r = {k: v.audit_id for k, v in records.items()}
    window = {"from": DAY.isoformat(), "to": (DAY + timedelta(days=3)).isoformat()}  # three days, one empty
    data = _export(api, {"type": "audit_logs", "format": "csv", "filters": window}, aws_resources, worker)
    rows = list(csv.DictReader(io.StringIO(data)))
    assert [x["id"] for x in rows] == [r["d"], r["c"], r["b"], r["a"]]  # e is the day before `from`
    assert list(rows[0]) == list(exporting.COLUMNS)
    assert next(x for x in rows if x["id"] == r["b"])["resourceId"] == "'=1+2"


def test_the_day_walk_pages_every_record_once_from_a_saved_cursor(
    aws_resources: dict[str, str], records: dict[str, AuditRecord]
) -> None:
    more = [seed("U3", "team.update", f"team:T{n}", DAY + n * timedelta(minutes=5)) for n in range(5)]
    expected = {v.audit_id for v in records.values()} | {m.audit_id for m in more}
    filters = {"from": (DAY - timedelta(days=1)).isoformat(), "to": (DAY + timedelta(days=3)).isoformat()}
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(30):  # each call as a fresh invocation would make it: the saved cursor only
        rows, cursor = exporting.page(ExportScope("admin-1", "admin"), filters, cursor, 2)
        assert len(rows) <= 2
        seen += [row["id"] for row in rows]
        if cursor is None:
            break
    assert cursor is None and len(seen) == len(set(seen)) and set(seen) == expected


@pytest.mark.parametrize("filters", [
    {"from": "yesterday"}, {"resource": "order"}, {"actor": "U1", "limit": 5},
    {"from": DAY.isoformat(), "to": DAY.isoformat()},
])  # fmt: skip
def test_bad_audit_filters_are_400(api: ApiClient, aws_resources: dict[str, str], filters: dict[str, Any]) -> None:
    response = api.post(EXPORTS, json_body={"type": "audit_logs", "filters": filters},
                        token=token_for(create_user("admin")))  # fmt: skip
    assert_error(response, 400, "VALIDATION_ERROR")
    assert Queue(aws_resources["ExportsQueue"]).receive() == []


def test_only_admins_export_the_audit_log(api: ApiClient, aws_resources: dict[str, str]) -> None:
    body = {"type": "audit_logs"}
    assert_error(api.post(EXPORTS, json_body=body), 401, "UNAUTHORIZED")
    for role in ("store_owner", "customer", "courier"):
        assert_error(api.post(EXPORTS, json_body=body, token=token_for(create_user(role))), 403, "FORBIDDEN")
    assert Queue(aws_resources["ExportsQueue"]).receive() == []
