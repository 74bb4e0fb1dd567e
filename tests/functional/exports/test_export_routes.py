"""POST/GET /api/v1/exports and the exports worker: a small export end to end, who may export what."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import pytest

from tests.factories import create_user, token_for
from tests.functional.exports.conftest import Queue, Worker, put_orders, read_file
from tests.support import ApiClient, assert_error

EXPORTS = "/api/v1/exports"


def _downloaded(url: str, bucket: str) -> bytes:
    """The object a presigned URL names (its key from the path; moto serves no HTTP here)."""
    parsed = urlparse(url)
    assert parse_qs(parsed.query)["X-Amz-Expires"] == ["900"]
    path = unquote(parsed.path).lstrip("/")
    key = path.removeprefix(f"{bucket}/")
    return read_file(bucket, key)


def _run(api: ApiClient, token: str, body: dict[str, Any], aws: dict[str, str], worker: Worker) -> dict[str, Any]:
    response = api.post(EXPORTS, json_body=body, token=token)
    assert response.status == 202, response.body
    Queue(aws["ExportsQueue"]).drain(worker)
    got = api.get(f"{EXPORTS}/{response.json['data']['id']}", token=token)
    assert got.status == 200, got.body
    return got.json["data"]


def test_an_admin_exports_every_order_as_csv(api: ApiClient, aws_resources: dict[str, str], worker: Worker) -> None:
    admin = token_for(create_user("admin"))
    ids = put_orders(3, owner_id="owner-a", store_id="s-a") + put_orders(2, owner_id="owner-b", store_id="s-b")
    response = api.post(EXPORTS, json_body={"type": "orders", "format": "csv"}, token=admin)
    assert response.status == 202, response.body
    queued = response.json["data"]
    assert (queued["status"], queued["progress"], queued["rowCount"], queued["downloadUrl"]) == ("queued", 0, 0, None)
    queue = Queue(aws_resources["ExportsQueue"])
    [message] = queue.receive()
    assert json.loads(message["Body"]) == {"exportId": queued["id"]}
    assert queue.deliver(worker, [message]) == {"batchItemFailures": []}

    done = api.get(f"{EXPORTS}/{queued['id']}", token=admin).json["data"]
    assert (done["status"], done["progress"], done["rowCount"]) == ("completed", 100, 5)
    ttl = datetime.fromisoformat(done["expiresAt"]) - datetime.fromisoformat(done["completedAt"])
    assert 0 < ttl.total_seconds() <= 15 * 60 + 5
    rows = list(csv.DictReader(io.StringIO(_downloaded(done["downloadUrl"], aws_resources["ExportsBucket"]).decode())))
    assert sorted(r["id"] for r in rows) == sorted(ids)
    assert {r["storeId"] for r in rows} == {"s-a", "s-b"} and {r["currency"] for r in rows} == {"usd"}


def test_a_store_owner_exports_only_their_stores_orders_as_json_lines(
    api: ApiClient, aws_resources: dict[str, str], worker: Worker
) -> None:
    owner = create_user("store_owner")
    mine = put_orders(4, owner_id=owner.user_id, store_id="s-mine")
    put_orders(3, owner_id="someone-else", store_id="s-other")
    done = _run(api, token_for(owner), {"type": "orders", "format": "json"}, aws_resources, worker)
    assert (done["status"], done["rowCount"]) == ("completed", 4)
    lines = _downloaded(done["downloadUrl"], aws_resources["ExportsBucket"]).decode().splitlines()
    rows = [json.loads(line) for line in lines]
    assert sorted(r["id"] for r in rows) == sorted(mine) and {r["storeId"] for r in rows} == {"s-mine"}
    # naming another's store as a filter still reads the owner's own sales only: nothing
    other = _run(api, token_for(owner), {"type": "orders", "filters": {"storeId": "s-other"}}, aws_resources, worker)
    assert (other["status"], other["rowCount"]) == ("completed", 0)
    assert _downloaded(other["downloadUrl"], aws_resources["ExportsBucket"]).decode().splitlines() == [
        ",".join(["id", "storeId", "customerId", "status", "currency", "subtotal", "discount", "deliveryFee",
                  "total", "paymentMethod", "createdAt"])]  # fmt: skip


def test_filters_narrow_the_rows(api: ApiClient, aws_resources: dict[str, str], worker: Worker) -> None:
    admin = token_for(create_user("admin"))
    wanted = put_orders(2, owner_id="o1", store_id="s-1")
    put_orders(2, owner_id="o2", store_id="s-2")
    done = _run(api, admin, {"type": "orders", "format": "json", "filters": {"storeId": "s-1", "status": "paid"}},
                aws_resources, worker)  # fmt: skip
    rows = [json.loads(x) for x in _downloaded(done["downloadUrl"], aws_resources["ExportsBucket"]).splitlines()]
    assert sorted(r["id"] for r in rows) == sorted(wanted)


def test_an_admin_exports_users_without_secrets_and_neutralised(
    api: ApiClient, aws_resources: dict[str, str], worker: Worker
) -> None:
    admin = create_user("admin")
    tricky = create_user("customer", name='=HYPERLINK("http://x")')
    done = _run(api, token_for(admin), {"type": "users", "format": "csv"}, aws_resources, worker)
    data = _downloaded(done["downloadUrl"], aws_resources["ExportsBucket"]).decode()
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(data))}
    assert {admin.user_id, tricky.user_id} <= set(rows) and done["rowCount"] == len(rows)
    assert rows[tricky.user_id]["name"] == '\'=HYPERLINK("http://x")'
    assert list(next(iter(rows.values()))) == ["id", "email", "name", "role", "status", "createdAt"]
    assert "passwordHash" not in data and admin.password_hash not in data


@pytest.mark.parametrize("body", [
    {}, {"type": "invoices"}, {"type": "orders", "format": "xlsx"}, {"type": "orders", "filters": {"colour": "red"}},
    {"type": "orders", "filters": {"status": "lost"}}, {"type": "orders", "extra": 1},
    {"type": "orders", "filters": "paid"}, {"type": "users", "filters": {"storeId": "s-1"}},
    {"type": "products", "filters": {"status": "sold"}}, {"type": "products", "filters": {"storeId": ""}},
    {"type": "audit_logs", "filters": {"from": "yesterday"}}, {"type": "audit_logs", "filters": {"who": "me"}},
])  # fmt: skip
def test_bad_exports_are_400(api: ApiClient, aws_resources: dict[str, str], body: dict[str, Any]) -> None:
    assert_error(api.post(EXPORTS, json_body=body, token=token_for(create_user("admin"))), 400, "VALIDATION_ERROR")
    assert Queue(aws_resources["ExportsQueue"]).receive() == []


def test_who_may_export(api: ApiClient, aws_resources: dict[str, str]) -> None:
    body = {"type": "orders"}
    assert_error(api.post(EXPORTS, json_body=body), 401, "UNAUTHORIZED")
    assert_error(api.post(EXPORTS, json_body=body, token=token_for(create_user("customer"))), 403, "FORBIDDEN")
    assert_error(api.post(EXPORTS, json_body=body, token=token_for(create_user("courier"))), 403, "FORBIDDEN")
    owner = token_for(create_user("store_owner"))
    for kind in ("users", "audit_logs"):
        assert_error(api.post(EXPORTS, json_body={"type": kind}, token=owner), 403, "FORBIDDEN")
    assert Queue(aws_resources["ExportsQueue"]).receive() == []


def test_an_export_is_its_owners_only(api: ApiClient, aws_resources: dict[str, str]) -> None:
    admin, other_admin = token_for(create_user("admin")), token_for(create_user("admin"))
    export_id = api.post(EXPORTS, json_body={"type": "orders"}, token=admin).json["data"]["id"]
    assert_error(api.get(f"{EXPORTS}/{export_id}", token=other_admin), 404, "NOT_FOUND")
    assert_error(api.get(f"{EXPORTS}/nope", token=admin), 404, "NOT_FOUND")
    assert_error(api.get(f"{EXPORTS}/{export_id}"), 401, "UNAUTHORIZED")
    assert api.get(f"{EXPORTS}/{export_id}", token=admin).json["data"]["status"] == "queued"


def test_the_list_pages_the_callers_exports_newest_first(api: ApiClient, aws_resources: dict[str, str]) -> None:
    admin = token_for(create_user("admin"))
    made = [api.post(EXPORTS, json_body={"type": "orders"}, token=admin).json["data"]["id"] for _ in range(3)]
    api.post(EXPORTS, json_body={"type": "orders"}, token=token_for(create_user("admin")))
    first = api.get(f"{EXPORTS}?limit=2", token=admin)
    assert first.status == 200, first.body
    cursor = first.json["pagination"]["nextCursor"]
    assert first.json["pagination"]["hasNext"] is True and cursor
    second = api.get(f"{EXPORTS}?limit=2&cursor={cursor}", token=admin).json
    seen = [e["id"] for e in first.json["data"]] + [e["id"] for e in second["data"]]
    assert sorted(seen) == sorted(made) and len(seen) == 3
    assert_error(api.get(f"{EXPORTS}?cursor=garbage", token=admin), 400, "VALIDATION_ERROR")
    assert_error(api.get(EXPORTS), 401, "UNAUTHORIZED")
