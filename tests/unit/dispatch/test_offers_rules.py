"""Dispatch's plain rules: who may accept, who is tried next, what a ready order needs to be dispatched."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from souk.dispatch.models import Delivery
from souk.dispatch.service.fulfilment import coordinates, courier_refusal
from souk.dispatch.service.offers import candidates, check_acceptable, offer_expired, offer_live, order_waits
from souk.errors import Conflict, InvalidState
from souk.orders.models import Order

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)


def delivery(status: str = "offered", courier: str | None = "c1", expires_in: int | None = 30) -> Delivery:
    expires = NOW + timedelta(seconds=expires_in) if expires_in is not None else None
    return Delivery(delivery_id="d1", status=status, courier_id=courier, offer_expires_at=expires, passed=[])


def test_only_a_live_offer_to_the_caller_is_acceptable() -> None:
    check_acceptable(delivery(), "c1", NOW)
    with pytest.raises(Conflict) as other:
        check_acceptable(delivery(), "c2", NOW)
    assert type(other.value) is Conflict  # 409 CONFLICT, not INVALID_STATE
    with pytest.raises(InvalidState, match="expired"):
        check_acceptable(delivery(expires_in=-1), "c1", NOW)
    with pytest.raises(InvalidState, match="already assigned"):
        check_acceptable(delivery(status="assigned"), "c1", NOW)
    with pytest.raises(InvalidState, match="cancelled"):
        check_acceptable(delivery(status="cancelled", courier=None), "c1", NOW)
    with pytest.raises(Conflict):
        check_acceptable(delivery(courier=None, expires_in=None), "c1", NOW)  # waiting: offered to nobody


def test_live_and_expired_offers() -> None:
    assert offer_live(delivery(), NOW) and not offer_expired(delivery(), NOW)
    assert offer_expired(delivery(expires_in=0), NOW) and not offer_live(delivery(expires_in=0), NOW)
    assert not offer_live(delivery(courier=None, expires_in=None), NOW)
    assert not offer_expired(delivery(courier=None, expires_in=None), NOW)  # waiting, not expired
    assert not offer_expired(delivery(status="assigned", expires_in=-5), NOW)


def test_candidates_skip_who_passed_nearest_first_and_bounded() -> None:
    assert candidates(["a", "b", "c", "d"], ["b"]) == ["a", "c", "d"]
    assert candidates([f"c{i}" for i in range(20)], [], limit=3) == ["c0", "c1", "c2"]
    assert candidates(["a"], ["a"]) == []


def test_coordinates_need_the_store_and_the_address() -> None:
    assert coordinates(40, -73, {"lat": 41.5, "lng": -72}) == ((40.0, -73.0), (41.5, -72.0))
    assert coordinates(None, -73, {"lat": 1, "lng": 2}) is None
    assert coordinates(40, -73, None) is None
    assert coordinates(40, -73, {"line1": "x"}) is None
    assert coordinates(40, -73, {"lat": "north", "lng": 2}) is None


def test_an_order_waits_for_a_courier_while_ready_with_this_delivery() -> None:
    ready = Order(status="ready", delivery_id="d1", history=[])
    assert order_waits(ready, "d1") and not order_waits(ready, "d0")
    partly = Order(status="partially_refunded", delivery_id="d1", history=[{"status": "ready"}])
    assert order_waits(partly, "d1")
    assert not order_waits(Order(status="refunded", delivery_id="d1", history=[{"status": "ready"}]), "d1")
    assert not order_waits(Order(status="preparing", delivery_id="d1", history=[]), "d1")


def test_the_courier_refusal_names_the_delivery_route() -> None:
    assert "PATCH /api/v1/deliveries/d9/status" in courier_refusal("d9").message
