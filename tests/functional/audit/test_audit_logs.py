"""GET /audit-logs and /audit-logs/report: each filter through its index (one Query a page, never a Scan),
cursor pages, 400 for a combination no index serves and for bad ranges, admins only; the report counts
what audited mutations wrote, from the per-day counters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest

from souk.audit import store
from souk.audit.models import AuditRecord
from souk.caller import Actor
from souk.db.transactions import TransactionCancelled, WriteTransaction
from tests.factories import create_user, token_for
from tests.functional.teams.helpers import make_team
from tests.support import ApiClient, assert_error, record_dynamodb_calls

LOGS = "/api/v1/audit-logs"
REPORT = "/api/v1/audit-logs/report"
DAY = datetime(2026, 3, 10, tzinfo=UTC)


def seed(actor: str, action: str, resource: str, at: datetime) -> AuditRecord:
    """An audit record written as if at ``at`` (keys stamped with that time), counted like any other."""
    resource_type, _, resource_id = resource.partition(":")
    item = store.new_record(Actor(user_id=actor, role="admin"), action, resource_type, resource_id,
                            before=None, after={"n": 1})  # fmt: skip
    stamp = f"{at.isoformat(timespec='milliseconds')}#{item.audit_id}"
    item.pk = f"AUDIT#{at.date().isoformat()}"
    item.sk = item.gsi1sk = item.gsi2sk = item.gsi3sk = stamp
    item.created_at = at
    store.write(item, None)
    return item


@pytest.fixture
def admin(aws_resources: dict[str, str]) -> str:
    return token_for(create_user(role="admin"))


@pytest.fixture
def records(aws_resources: dict[str, str]) -> dict[str, AuditRecord]:
    hour = timedelta(hours=1)
    return {
        "a": seed("U1", "order.cancel", "order:O1", DAY + 1 * hour),
        "b": seed("U1", "product.update", "product:P1", DAY + 2 * hour),
        "c": seed("U2", "order.cancel", "order:O1", DAY + 3 * hour),
        "d": seed("U2", "order.cancel", "order:O2", DAY + 4 * hour),
        "e": seed("U1", "order.cancel", "order:O1", DAY + timedelta(days=1)),
    }


def ids(api: ApiClient, token: str, **params: str) -> list[str]:
    response = api.get(f"{LOGS}?{urlencode(params)}", token=token)
    assert response.status == 200, response.body
    return [row["id"] for row in response.json["data"]]


def test_each_filter_finds_its_records_newest_first(api: ApiClient, admin: str,
                                                    records: dict[str, AuditRecord]) -> None:  # fmt: skip
    r = {k: v.audit_id for k, v in records.items()}
    assert ids(api, admin, actor="U1") == [r["e"], r["b"], r["a"]]
    assert ids(api, admin, resource="order:O1") == [r["e"], r["c"], r["a"]]
    assert ids(api, admin, action="order.cancel") == [r["e"], r["d"], r["c"], r["a"]]
    assert ids(api, admin, actor="U1", action="order.cancel") == [r["e"], r["a"]]
    assert ids(api, admin, resource="order:O1", actor="U2") == [r["c"]]
    assert ids(api, admin, resource="order:O1", actor="U1", action="order.cancel") == [r["e"], r["a"]]
    day_range = {"from": DAY.isoformat(), "to": (DAY + timedelta(days=1)).isoformat()}
    assert ids(api, admin, actor="U1", **day_range) == [r["b"], r["a"]]  # `to` is exclusive
    assert ids(api, admin, action="order.cancel", **{"from": (DAY + timedelta(hours=3)).isoformat()}) == [
        r["e"], r["d"], r["c"]]  # fmt: skip
    assert ids(api, admin, resource="order:O1", to=(DAY + timedelta(hours=3)).isoformat()) == [r["a"]]
    assert ids(api, admin, **day_range) == [r["d"], r["c"], r["b"], r["a"]]  # the day partition
    assert ids(api, admin, actor="nobody") == []


def test_a_record_reads_back_whole(api: ApiClient, admin: str, records: dict[str, AuditRecord]) -> None:
    (row,) = api.get(f"{LOGS}?resource=product:P1", token=admin).json["data"]
    assert row == {
        "id": records["b"].audit_id, "actorId": "U1", "actorRole": "admin", "action": "product.update",
        "resourceType": "product", "resourceId": "P1", "ip": None, "requestId": records["b"].request_id, "before": None,
        "after": {"n": 1}, "createdAt": row["createdAt"],
    }  # fmt: skip
    assert row["createdAt"].startswith("2026-03-10T02:00:00")


def test_every_page_is_one_query_and_the_cursor_walks_all(api: ApiClient, admin: str, monkeypatch: pytest.MonkeyPatch,
                                                         records: dict[str, AuditRecord]) -> None:  # fmt: skip
    calls = record_dynamodb_calls(monkeypatch)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        before = len(calls)
        query = {"action": "order.cancel", "limit": "1"} | ({"cursor": cursor} if cursor else {})
        response = api.get(f"{LOGS}?{urlencode(query)}", token=admin)
        assert response.status == 200, response.body
        assert [c for c in calls[before:] if c in ("Query", "Scan")] == ["Query"]
        seen += [row["id"] for row in response.json["data"]]
        cursor = response.json["pagination"]["nextCursor"]
        pages += 1
        if cursor is None:
            break
    assert seen == ids(api, admin, action="order.cancel") and len(seen) == 4
    assert pages in (4, 5)  # the last page may be empty
    assert "Scan" not in calls


def test_a_filtered_page_may_be_short_with_a_cursor(api: ApiClient, admin: str,
                                                    records: dict[str, AuditRecord]) -> None:  # fmt: skip
    # actor U2 on resource order:O1: the resource index reads 2 keys (e, c), the filter keeps c only when it comes
    first = api.get(f"{LOGS}?resource=order:O1&actor=U2&limit=1", token=admin).json
    assert first["data"] == [] and first["pagination"]["nextCursor"]
    second = api.get(f"{LOGS}?resource=order:O1&actor=U2&limit=1&cursor={first['pagination']['nextCursor']}",
                     token=admin).json  # fmt: skip
    assert [row["id"] for row in second["data"]] == [records["c"].audit_id]


def test_a_cursor_of_another_list_is_refused(api: ApiClient, admin: str, records: dict[str, AuditRecord]) -> None:
    cursor = api.get(f"{LOGS}?actor=U1&limit=1", token=admin).json["pagination"]["nextCursor"]
    assert_error(api.get(f"{LOGS}?actor=U2&limit=1&cursor={cursor}", token=admin), 400, "VALIDATION_ERROR")
    assert_error(api.get(f"{LOGS}?action=order.cancel&cursor={cursor}", token=admin), 400, "VALIDATION_ERROR")
    assert_error(api.get(f"{LOGS}?actor=U1&cursor=garbage", token=admin), 400, "VALIDATION_ERROR")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2026-03-09T00:00:00Z", "to": "2026-03-11T00:00:00Z"}, "from"),  # no index: days apart
        ({"from": "2026-03-09T00:00:00Z"}, "from"),  # up to now: days apart
        ({"actor": "U1", "from": "2026-03-11T00:00:00Z", "to": "2026-03-10T00:00:00Z"}, "from"),
        ({"actor": "U1", "from": "yesterday"}, "from"),
        ({"resource": "order"}, "resource"),
        ({"resource": "order:"}, "resource"),
        ({"actor": "U1", "limit": "0"}, "limit"),
        ({"actor": ""}, "actor"),
    ],
)
def test_bad_filters_are_400_naming_the_field(api: ApiClient, admin: str, query: dict[str, str], field: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    calls = record_dynamodb_calls(monkeypatch)
    payload = assert_error(api.get(f"{LOGS}?{urlencode(query)}", token=admin), 400, "VALIDATION_ERROR")
    assert field in str(payload["error"]), payload
    assert "Query" not in calls and "Scan" not in calls  # refused before reading the log


def test_admins_only(api: ApiClient, aws_resources: dict[str, str]) -> None:
    for path in (LOGS, REPORT):
        assert_error(api.get(path), 401, "UNAUTHORIZED")
        for role in ("customer", "store_owner", "courier"):
            assert_error(api.get(path, token=token_for(create_user(role=role))), 403, "FORBIDDEN")


def test_the_report_counts_audited_mutations(api: ApiClient, admin: str, monkeypatch: pytest.MonkeyPatch) -> None:
    team = make_team(api)  # team.create by the owner, then 3 team.member_add by the owner
    owner = team.people["owner"].id
    renamed = api.put(team.path(), json_body={"name": "Renamed"}, token=team.people["owner"].token)
    assert renamed.status == 200, renamed.body
    calls = record_dynamodb_calls(monkeypatch)
    response = api.get(REPORT, token=admin)
    assert response.status == 200, response.body
    data = response.json["data"]
    today = datetime.now(UTC).date()
    assert data["from"] == (today - timedelta(days=6)).isoformat() and data["to"] == today.isoformat()
    by_action = {row["action"]: row["count"] for row in data["byAction"]}
    assert by_action == {"team.create": 1, "team.member_add": 3, "team.update": 1} | {
        a: n for a, n in by_action.items() if not a.startswith("team.")}  # fmt: skip
    assert {row["actorId"]: row["count"] for row in data["byActor"]}[owner] == 5
    assert data["total"] == sum(by_action.values())
    assert calls.count("Query") == 7 and "Scan" not in calls  # one Query per day of the 7


def test_the_report_sums_days_and_caps_the_range(api: ApiClient, admin: str, records: dict[str, AuditRecord]) -> None:
    one_day = api.get(f"{REPORT}?from=2026-03-10&to=2026-03-10", token=admin).json["data"]
    assert one_day["total"] == 4
    assert one_day["byAction"] == [{"action": "order.cancel", "count": 3}, {"action": "product.update", "count": 1}]
    assert one_day["byActor"] == [{"actorId": "U1", "count": 2}, {"actorId": "U2", "count": 2}]
    two_days = api.get(f"{REPORT}?from=2026-03-10&to=2026-03-11", token=admin).json["data"]
    assert two_days["total"] == 5 and two_days["byActor"][0] == {"actorId": "U1", "count": 3}
    assert api.get(f"{REPORT}?from=2026-03-11&to=2026-03-11", token=admin).json["data"]["total"] == 1
    assert api.get(f"{REPORT}?from=2026-02-10&to=2026-03-12", token=admin).status == 200  # 31 days
    assert_error(api.get(f"{REPORT}?from=2026-02-09&to=2026-03-12", token=admin), 400, "VALIDATION_ERROR")
    assert_error(api.get(f"{REPORT}?from=2026-03-12&to=2026-03-10", token=admin), 400, "VALIDATION_ERROR")
    assert_error(api.get(f"{REPORT}?from=03/10/2026", token=admin), 400, "VALIDATION_ERROR")


def test_records_expire_after_the_retention(aws_resources: dict[str, str]) -> None:
    item = seed("U1", "order.cancel", "order:O1", DAY)
    stored = AuditRecord.get(item.pk, item.sk)
    assert stored.expires_at is not None
    assert timedelta(days=399) < stored.expires_at - datetime.now(UTC) <= timedelta(days=400)


def test_a_cancelled_transaction_counts_nothing(api: ApiClient, admin: str) -> None:
    record = store.new_record(Actor(user_id="U9", role="admin"), "order.cancel", "order", "O9", before=None, after=None)
    clash = store.new_record(Actor(user_id="U9", role="admin"), "order.cancel", "order", "O9", before=None, after=None)
    clash.pk, clash.sk = record.pk, record.sk
    store.write(record, None)  # counted once
    with pytest.raises(TransactionCancelled), WriteTransaction() as tx:
        store.write(clash, tx)
        tx.check(AuditRecord, record.pk, record.sk, AuditRecord.pk.does_not_exist(), label="absent")
    counted = api.get(REPORT, token=admin).json["data"]
    assert {row["actorId"]: row["count"] for row in counted["byActor"]}["U9"] == 1
