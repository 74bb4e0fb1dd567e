"""GET/PUT /api/v1/admin/settings: one versioned document, sections replaced whole, audited."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from souk.admin_settings import service
from souk.admin_settings.models import PK, SK, AdminSettingsItem
from souk.audit import keys
from souk.audit.models import AuditRecord
from tests.factories import create_user, token_for
from tests.support import ApiClient, assert_error

URL = "/api/v1/admin/settings"


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    service.forget()  # each test has a new table; the cached document is another test's
    yield
    service.forget()


@pytest.fixture
def admin(api: ApiClient) -> str:
    return token_for(create_user("admin"))


def _put(api: ApiClient, token: str, body: dict[str, Any]) -> Any:
    return api.put(URL, json_body=body, token=token)


def test_the_defaults_are_version_0(api: ApiClient, admin: str) -> None:
    response = api.get(URL, token=admin)
    assert response.status == 200
    data = response.json["data"]
    assert data["version"] == 0
    assert data["commission"] == {"defaultRateBps": 1000, "categoryRatesBps": {}, "storeRatesBps": {}}
    assert data["funds"] == {"holdDays": 7, "minimumPayout": {"amount": 1000, "currency": "usd"},
                             "disputeFeePayer": "platform"}  # fmt: skip


def test_a_put_replaces_the_sections_sent_and_bumps_the_version(api: ApiClient, admin: str) -> None:
    # WHEN an admin changes the commission section from version 0
    commission = {"defaultRateBps": 1200, "categoryRatesBps": {"cat1": 800}, "storeRatesBps": {"store1": 500}}
    response = _put(api, admin, {"version": 0, "commission": commission})
    # THEN it is saved as version 1, the funds section untouched
    assert response.status == 200, response.json
    data = response.json["data"]
    assert data["version"] == 1
    assert data["commission"] == commission
    assert data["funds"]["holdDays"] == 7
    # AND a fresh read (not the function's cache) gives the same document
    service.forget()
    assert api.get(URL, token=admin).json["data"] == data
    # AND a second change from version 1 makes version 2
    second = _put(api, admin, {"version": 1, "funds": {"holdDays": 3}})
    assert second.status == 200 and second.json["data"]["version"] == 2
    assert second.json["data"]["commission"]["defaultRateBps"] == 1200
    # AND every change is in the audit log
    actions = [r.action for r in AuditRecord.gsi2.query(keys.audit_resource("admin_settings", "platform"))]
    assert actions == ["admin_settings.update", "admin_settings.update"]


def test_the_delivery_section_has_its_defaults_and_is_replaced_whole(api: ApiClient, admin: str) -> None:
    # GIVEN the defaults of API.md
    assert api.get(URL, token=admin).json["data"]["delivery"] == {
        "offerSeconds": 60, "maxRadiusKm": 15, "staleAfterSeconds": 120, "courierSpeedKmh": 25,
        "proofRadiusMeters": 200,
    }  # fmt: skip
    # WHEN an admin changes the delivery section
    response = _put(api, admin, {"version": 0, "delivery": {"offerSeconds": 90, "courierSpeedKmh": 18.5}})
    # THEN the fields sent change, the others take their defaults, and the version moves on
    assert response.status == 200, response.json
    data = response.json["data"]
    assert data["version"] == 1
    assert data["delivery"] == {
        "offerSeconds": 90, "maxRadiusKm": 15, "staleAfterSeconds": 120, "courierSpeedKmh": 18.5,
        "proofRadiusMeters": 200,
    }  # fmt: skip
    service.forget()
    assert service.current().delivery.courier_speed_kmh == 18.5


def test_the_features_section_holds_the_declared_flags_and_is_audited(api: ApiClient, admin: str) -> None:
    # GIVEN the defaults: every declared flag with its default
    assert api.get(URL, token=admin).json["data"]["features"] == {"exports": True}
    # WHEN an admin turns a flag off
    response = _put(api, admin, {"version": 0, "features": {"exports": False}})
    # THEN it is saved (version 1), read fresh the same, and what functions read within the minute
    assert response.status == 200, response.json
    assert (response.json["data"]["version"], response.json["data"]["features"]) == (1, {"exports": False})
    service.forget()
    assert api.get(URL, token=admin).json["data"]["features"] == {"exports": False}
    assert service.current().features.exports is False
    # AND the change is audited with the section before and after
    [record] = list(AuditRecord.gsi2.query(keys.audit_resource("admin_settings", "platform")))
    assert record.action == "admin_settings.update"
    assert (record.before or {})["features"] == {"exports": True} and (record.after or {})["features"] == {
        "exports": False}  # fmt: skip
    # AND the section is replaced whole: sent empty, every flag takes its default again
    again = _put(api, admin, {"version": 1, "features": {}})
    assert again.status == 200 and again.json["data"]["features"] == {"exports": True}


def test_a_stale_version_is_a_409_and_changes_nothing(api: ApiClient, admin: str) -> None:
    assert _put(api, admin, {"version": 0, "funds": {"holdDays": 1}}).status == 200
    # WHEN a second admin saves from the version they read before that change
    response = _put(api, admin, {"version": 0, "funds": {"holdDays": 30}})
    # THEN it is refused as a conflict, and the first change stands
    assert_error(response, 409, "CONFLICT")
    assert api.get(URL, token=admin).json["data"]["funds"]["holdDays"] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"version": 0}, None),  # no section
        ({"commission": {"defaultRateBps": 100}}, "version"),
        ({"version": 0, "commission": {"defaultRateBps": 10001}}, "commission.defaultRateBps"),
        ({"version": 0, "commission": {"defaultRateBps": "100"}}, "commission.defaultRateBps"),
        ({"version": 0, "commission": {"storeRatesBps": {"s1": -1}}}, "commission.storeRatesBps.s1"),
        ({"version": 0, "funds": {"holdDays": 91}}, "funds.holdDays"),
        ({"version": 0, "funds": {"minimumPayout": 1000}}, "funds.minimumPayout"),
        ({"version": 0, "funds": {"unknown": 1}}, "funds.unknown"),
        # retired: delivery fees are the platform's (a stored document holding it still reads)
        ({"version": 0, "commission": {"commissionDeliveryFees": True}}, "commission.commissionDeliveryFees"),
        ({"version": 0, "shipping": {}}, "shipping"),
        ({"version": 0, "delivery": {"offerSeconds": 0}}, "delivery.offerSeconds"),
        ({"version": 0, "delivery": {"maxRadiusKm": -1}}, "delivery.maxRadiusKm"),
        ({"version": 0, "delivery": {"staleAfterSeconds": "120"}}, "delivery.staleAfterSeconds"),
        ({"version": 0, "delivery": {"speedKmh": 20}}, "delivery.speedKmh"),
        ({"version": -1, "funds": {}}, "version"),
        ({"version": 0, "features": {"beta": True}}, "features.beta"),  # an unknown flag
        ({"version": 0, "features": {"exports": "false"}}, "features.exports"),
        ({"version": 0, "features": {"exports": 0}}, "features.exports"),
        ({"version": 0, "features": []}, "features"),
    ],
)
def test_invalid_documents_are_400_naming_the_field(
    api: ApiClient, admin: str, body: dict[str, Any], field: str | None
) -> None:
    response = _put(api, admin, body)
    error = assert_error(response, 400, "VALIDATION_ERROR")["error"]
    if field is not None:
        assert field in {d["field"] for d in error["details"]}, error
    assert api.get(URL, token=admin).json["data"]["version"] == 0


def test_a_stored_document_with_the_retired_commission_delivery_fees_key_reads_and_saves_without_it(
    api: ApiClient, admin: str
) -> None:
    # GIVEN the document as a release that had commission.commissionDeliveryFees saved it
    AdminSettingsItem(pk=PK, sk=SK, doc_version=2, sections={
        "commission": {"defaultRateBps": 900, "categoryRatesBps": {}, "storeRatesBps": {},
                       "commissionDeliveryFees": True},
    }).save()  # fmt: skip
    # WHEN an admin reads it THEN 200, the key dropped, the rest as saved
    response = api.get(URL, token=admin)
    assert response.status == 200, response.body
    assert response.json["data"]["commission"] == {"defaultRateBps": 900, "categoryRatesBps": {}, "storeRatesBps": {}}
    # AND a change of another section saves the commission section without it
    assert _put(api, admin, {"version": 2, "funds": {"holdDays": 1}}).status == 200
    assert "commissionDeliveryFees" not in AdminSettingsItem.get(PK, SK, consistent_read=True).sections["commission"]


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_only_admins(api: ApiClient, method: str) -> None:
    body = {"version": 0, "funds": {"holdDays": 1}}
    assert_error(api.request(method, URL, json_body=body), 401, "UNAUTHORIZED")
    for role in ("customer", "store_owner", "courier"):
        assert_error(api.request(method, URL, json_body=body, token=token_for(create_user(role))), 403, "FORBIDDEN")
