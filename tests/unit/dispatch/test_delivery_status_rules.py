"""Delivery status rules: the moves, what each needs, the proof's distance (plain functions)."""

from __future__ import annotations

from typing import Any

import pytest

from souk.delivery.geo import haversine_km
from souk.dispatch.models import Delivery
from souk.dispatch.schemas import DeliveryStatusIn
from souk.dispatch.service.status import check_move, check_proof_position, check_request, proof_distance_m
from souk.errors import InvalidState, UnprocessableEntity, ValidationFailed

DROPOFF = (40.02, -73.01)


@pytest.mark.parametrize(
    ("current", "target"),
    [("assigned", "picked_up"), ("picked_up", "delivered"), ("assigned", "failed"), ("picked_up", "failed")],
)
def test_the_moves_a_courier_makes(current: str, target: str) -> None:
    check_move(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [("offered", "picked_up"), ("picked_up", "picked_up"), ("assigned", "delivered"), ("delivered", "delivered"),
     ("delivered", "failed"), ("failed", "failed"), ("offered", "failed"), ("cancelled", "picked_up"),
     ("failed", "picked_up")],
)  # fmt: skip
def test_every_other_move_is_invalid_state(current: str, target: str) -> None:
    with pytest.raises(InvalidState):
        check_move(current, target)


@pytest.mark.parametrize(
    ("body", "field"),
    [({"status": "delivered"}, "proofUploadId"), ({"status": "failed"}, "reason"),
     ({"status": "failed", "reason": "   "}, "reason")],
)  # fmt: skip
def test_delivered_needs_a_proof_and_failed_a_reason(body: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        check_request(DeliveryStatusIn.model_validate(body))
    assert raised.value.details == [{"field": field, "message": raised.value.details[0]["message"]}]


def test_what_needs_nothing_more_passes() -> None:
    check_request(DeliveryStatusIn.model_validate({"status": "picked_up"}))
    check_request(DeliveryStatusIn.model_validate({"status": "delivered", "proofUploadId": "u1"}))
    check_request(DeliveryStatusIn.model_validate({"status": "failed", "reason": "nobody home"}))


def _at(lat: float | None, lng: float | None) -> Delivery:
    return Delivery(dropoff_lat=DROPOFF[0], dropoff_lng=DROPOFF[1], last_lat=lat, last_lng=lng)


def test_the_proof_is_accepted_within_the_radius_and_refused_beyond_it() -> None:
    near = _at(DROPOFF[0] + 0.001, DROPOFF[1])  # ~111 m
    far = _at(DROPOFF[0] + 0.003, DROPOFF[1])  # ~334 m
    assert proof_distance_m(near) == pytest.approx(1000 * haversine_km(DROPOFF[0] + 0.001, DROPOFF[1], *DROPOFF))
    check_proof_position(near, 200)
    with pytest.raises(UnprocessableEntity, match="334 m from the drop-off"):
        check_proof_position(far, 200)
    check_proof_position(far, 400)


def test_no_position_at_all_is_refused() -> None:
    assert proof_distance_m(_at(None, None)) is None
    with pytest.raises(UnprocessableEntity, match="No position"):
        check_proof_position(_at(None, None), 200)
