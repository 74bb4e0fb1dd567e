"""Internal export sources: started by another domain's service (start_internal), never by POST /exports."""

from __future__ import annotations

import json
from typing import Any

import pytest

from souk.admin_settings import service as settings
from souk.admin_settings.schemas import AdminSettingsUpdate
from souk.exports.service import exports, sources
from souk.registry import ExportScope, Page, Source
from tests.factories import create_user, token_for
from tests.functional.exports.conftest import Queue, Worker, read_file
from tests.functional.product_support import principal_of
from tests.support import ApiClient, assert_error

SEEN: list[ExportScope] = []


def _page(scope: ExportScope, filters: dict[str, Any], cursor: str | None, limit: int) -> Page:
    SEEN.append(scope)
    start = int(cursor or 0)
    rows = [{"id": f"{scope.user_id}-{n}", "kind": "thing"} for n in range(start, min(start + limit, 250))]
    return rows, (str(start + limit) if start + limit < 250 else None)


@pytest.fixture
def internal_source(monkeypatch: pytest.MonkeyPatch) -> None:
    declared = {**sources.declared(), "things": Source(columns=("id", "kind"), page=_page, roles=frozenset(),
                                                        internal=True)}  # fmt: skip
    monkeypatch.setattr(sources, "declared", lambda: declared)
    SEEN.clear()


def test_another_domain_starts_an_internal_export_its_owner_reads(
    api: ApiClient, aws_resources: dict[str, str], worker: Worker, internal_source: None
) -> None:
    user = create_user("customer")
    started = exports.start_internal(user.user_id, "things", "json")
    assert (started.type, started.status) == ("things", "queued")
    Queue(aws_resources["ExportsQueue"]).drain(worker)
    done = api.get(f"/api/v1/exports/{started.id}", token=token_for(user))
    assert done.status == 200, done.body
    assert (done.json["data"]["status"], done.json["data"]["rowCount"]) == ("completed", 250)
    assert SEEN and set(SEEN) == {ExportScope(user.user_id, "internal")}
    job = exports.store.load(started.id)
    assert job is not None
    lines = read_file(aws_resources["ExportsBucket"], job.object_key).decode().splitlines()
    assert sorted(json.loads(x)["id"] for x in lines) == sorted(f"{user.user_id}-{n}" for n in range(250))
    # it is the owner's: another user's read is 404
    assert_error(api.get(f"/api/v1/exports/{started.id}", token=token_for(create_user("admin"))), 404, "NOT_FOUND")


def test_post_exports_never_starts_an_internal_source(
    api: ApiClient, aws_resources: dict[str, str], internal_source: None
) -> None:
    admin = token_for(create_user("admin"))
    for kind in ("things", "account"):
        assert_error(api.post("/api/v1/exports", json_body={"type": kind}, token=admin), 400, "VALIDATION_ERROR")
    assert Queue(aws_resources["ExportsQueue"]).receive() == []


def test_start_internal_takes_internal_sources_only(aws_resources: dict[str, str], internal_source: None) -> None:
    for kind in ("orders", "nope"):
        with pytest.raises(ValueError, match="not a declared internal export source"):
            exports.start_internal("u-1", kind)
    assert Queue(aws_resources["ExportsQueue"]).receive() == []


def test_exports_turned_off_refuse_post_but_not_the_owed_internal_export(
    api: ApiClient, aws_resources: dict[str, str], internal_source: None
) -> None:
    admin = create_user("admin")
    settings.forget()
    off = AdminSettingsUpdate.model_validate({"version": 0, "features": {"exports": False}})
    settings.update(principal_of(admin), off)
    try:
        response = api.post("/api/v1/exports", json_body={"type": "orders"}, token=token_for(admin))
        refused = assert_error(response, 403, "FORBIDDEN")
        assert refused["error"]["details"][0]["field"] == "features.exports"
        assert exports.start_internal(create_user("customer").user_id, "things").status == "queued"
        assert len(Queue(aws_resources["ExportsQueue"]).receive()) == 1  # the internal one only
    finally:
        settings.forget()
    settings.update(principal_of(admin), AdminSettingsUpdate.model_validate({"version": 1, "features": {}}))
    assert api.post("/api/v1/exports", json_body={"type": "orders"}, token=token_for(admin)).status == 202
