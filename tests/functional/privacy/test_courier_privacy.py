"""A courier's erasure: their position leaves the search, their verification goes; one holding a delivery
is refused until it ends."""

from __future__ import annotations

import pytest
from pynamodb.exceptions import DoesNotExist

from souk.admin_settings import service as admin_settings
from souk.db.base import utc_now
from souk.delivery import keys as delivery_keys
from souk.delivery.models import CourierCellEntry, CourierPosition, CourierVerification
from souk.delivery.service.couriers import nearest_couriers
from souk.dispatch import keys as dispatch_keys
from souk.dispatch.models import Delivery
from souk.privacy.store import erasure as erasure_store
from tests.factories import PASSWORD, approved_courier, token_for
from tests.functional.exports.conftest import Queue, Worker
from tests.support import ApiClient, assert_error

SPOT = {"available": True, "lat": 31.2, "lng": 29.9}


def _nearest() -> list[str]:
    settings = admin_settings.current().delivery
    return [c.courier_id for c in nearest_couriers(31.2, 29.9, limit=5, settings=settings)]


def _hold(courier_id: str, status: str) -> None:
    now = utc_now()
    Delivery(pk=dispatch_keys.delivery("d-1"), sk=dispatch_keys.DELIVERY, delivery_id="d-1", order_id="o-1",
             store_id="s-1", store_owner_id="so-1", customer_id="c-1", courier_id=courier_id, status=status,
             pickup_lat=31.2, pickup_lng=29.9, dropoff_lat=31.21, dropoff_lng=29.91, fee_amount=300,
             currency="usd", gsi1pk=dispatch_keys.courier_jobs(courier_id), gsi1sk=f"{now.isoformat()}#d-1",
             created_at=now, updated_at=now).save()  # fmt: skip


def test_an_erased_courier_leaves_the_search_and_their_verification_goes(
    api: ApiClient, aws_resources: dict[str, str], privacy_queue: Queue, privacy_worker: Worker
) -> None:
    courier = approved_courier()
    token = token_for(courier)
    assert api.put("/api/v1/couriers/me/availability", json_body=SPOT, token=token).status == 200
    position = CourierPosition.get(delivery_keys.courier_key(courier.user_id), delivery_keys.POSITION)
    assert position.cell and courier.user_id in _nearest()
    # WHEN they delete their account and the worker runs
    assert api.delete("/api/v1/me", json_body={"password": PASSWORD}, token=token).status == 202
    privacy_queue.drain(privacy_worker)
    # THEN no search finds them, and their position and verification are gone
    assert courier.user_id not in _nearest()
    for model, pk, sk in ((CourierPosition, delivery_keys.courier_key(courier.user_id), delivery_keys.POSITION),
                          (CourierVerification, delivery_keys.courier_key(courier.user_id), delivery_keys.VERIFICATION),
                          (CourierCellEntry, delivery_keys.courier_cell_key(position.cell),
                           delivery_keys.courier_key(courier.user_id))):  # fmt: skip
        with pytest.raises(DoesNotExist):
            model.get(pk, sk, consistent_read=True)


def test_a_courier_holding_a_delivery_is_refused_until_it_ends(api: ApiClient, aws_resources: dict[str, str]) -> None:
    courier = approved_courier()
    token = token_for(courier)
    _hold(courier.user_id, "picked_up")
    assert_error(api.delete("/api/v1/me", json_body={"password": PASSWORD}, token=token), 409, "CONFLICT")
    assert erasure_store.load(courier.user_id, consistent=True) is None
    # an offer not yet accepted does not hold them
    _hold(courier.user_id, "offered")
    assert api.delete("/api/v1/me", json_body={"password": PASSWORD}, token=token).status == 202
