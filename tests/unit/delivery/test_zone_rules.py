"""The pure delivery rules: rings, point in zone, zone choice, fee and ETA (souk.delivery.service)."""

from __future__ import annotations

from typing import Any

import pytest

from souk.delivery import geo
from souk.delivery.schemas import ZoneFee, ZoneIn, ZoneOut
from souk.delivery.service import zones as service
from souk.errors import ValidationFailed
from souk.money import Money

SQUARE = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0), (0.0, 0.0)]
# a "C" open to the east: the notch (0.4..1, 0.4..0.6) is outside
C_SHAPE = [(0.0, 0.0), (1.0, 0.0), (1.0, 0.4), (0.4, 0.4), (0.4, 0.6), (1.0, 0.6), (1.0, 1.0), (0.0, 1.0), (0.0, 0.0)]
BOW_TIE = [(0.0, 0.0), (1.0, 1.0), (1.0, 0.0), (0.0, 1.0), (0.0, 0.0)]


def usd(amount: int) -> Money:
    return Money(amount=amount, currency="usd")


FEE = ZoneFee(base=usd(200), per_km=usd(75), minimum=usd(300))


def zone(zone_id: str, *, priority: int = 0, active: bool = True, **shape: Any) -> ZoneOut:
    return ZoneOut(id=zone_id, name=zone_id, fee=FEE, priority=priority, active=active, **shape)


@pytest.mark.parametrize(
    ("point", "inside"),
    [
        ((0.5, 0.5), True),
        ((1.5, 0.5), False),
        ((1.0, 0.5), True),  # on the east edge
        ((0.5, 0.0), True),  # on the south edge
        ((1.0, 1.0), True),  # a corner
        ((-0.0001, 0.5), False),
    ],
)
def test_point_in_a_square_counts_its_boundary_as_inside(point: tuple[float, float], inside: bool) -> None:
    assert geo.in_ring(point, SQUARE) is inside


@pytest.mark.parametrize(
    ("point", "inside"),
    [((0.2, 0.5), True), ((0.7, 0.5), False), ((0.7, 0.2), True), ((0.7, 0.8), True), ((0.7, 0.4), True)],
)
def test_point_in_a_concave_ring(point: tuple[float, float], inside: bool) -> None:
    assert geo.in_ring(point, C_SHAPE) is inside


@pytest.mark.parametrize(
    ("ring", "problem"),
    [
        (SQUARE, None),
        (C_SHAPE, None),
        (SQUARE[:-1], "open"),
        ([(0.0, 0.0), (1.0, 0.0), (0.0, 0.0)], "at least 4"),
        (BOW_TIE, "intersects itself"),
        ([(0.0, 0.0), (2.0, 0.0), (2.0, 2.0), (1.0, 0.0), (0.0, 2.0), (0.0, 0.0)], "intersects itself"),  # touches
        ([(0.0, 0.0), (1.0, 0.0), (2.0, 0.0), (0.0, 0.0)], "no area"),
        ([(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (1.0, 0.0), (0.0, 1.0), (0.0, 0.0)], "repeats"),
    ],
)
def test_ring_validation(ring: list[tuple[float, float]], problem: str | None) -> None:
    found = geo.ring_problem(ring)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


def test_haversine_matches_known_distances() -> None:
    assert geo.haversine_km(0, 0, 0, 1) == pytest.approx(111.195, abs=0.01)  # a degree of the equator
    # Paris to London, ~343.5 km
    assert geo.haversine_km(48.8566, 2.3522, 51.5074, -0.1278) == pytest.approx(343.5, abs=1)
    assert geo.haversine_km(10, 20, 10, 20) == 0


def test_area_of_a_degree_square_at_the_equator() -> None:
    assert geo.area_km2(SQUARE) == pytest.approx(111.195**2, rel=0.01)
    assert geo.area_km2(C_SHAPE) == pytest.approx(111.195**2 * (1 - 0.6 * 0.2), rel=0.01)


def test_the_highest_priority_wins_then_the_smallest_area() -> None:
    big = zone("big", type="polygon", polygon=[(x * 2, y * 2) for x, y in SQUARE])
    small = zone("small", type="polygon", polygon=SQUARE)
    circle = zone("circle", type="radius", center={"lat": 0.5, "lng": 0.5}, radius_km=20)
    # the smallest area wins among equal priorities: the 20 km circle (~1257 km²) inside the square
    assert service.choose_zone([big, small, circle], 0.5, 0.5) == circle
    # outside the circle, the 1° square beats the 2° square
    assert service.choose_zone([big, small, circle], 0.9, 0.9) == small
    # a higher priority beats any area
    urgent = big.model_copy(update={"priority": 5})
    assert service.choose_zone([urgent, small, circle], 0.5, 0.5) == urgent
    # inactive zones and points outside every zone choose nothing
    assert service.choose_zone([small.model_copy(update={"active": False})], 0.5, 0.5) is None
    assert service.choose_zone([big, small, circle], 5, 5) is None


def test_a_radius_zone_reaches_its_radius_by_haversine() -> None:
    circle = zone("c", type="radius", center={"lat": 0.0, "lng": 0.0}, radius_km=10)
    assert service.contains(circle, 0.0, 0.089)  # ~9.9 km east
    assert not service.contains(circle, 0.0, 0.091)  # ~10.1 km east


@pytest.mark.parametrize(
    ("km", "amount"),
    [
        (0.0, 300),  # base 200 < minimum 300
        (1.0, 300),  # 275 < 300
        (2.0, 350),
        (3.333, 450),  # 75 x 3.333 = 249.975 -> 250
        (3.3266, 449),  # 249.495 -> 249
        (3.3267, 450),  # 249.5025 -> 250 (half up)
    ],
)
def test_fee_is_the_larger_of_the_minimum_and_base_plus_per_km(km: float, amount: int) -> None:
    assert service.fee_for(FEE, km) == usd(amount)


def test_eta_rounds_up_to_whole_minutes_at_the_configured_speed() -> None:
    assert service.eta_minutes(10, 30) == 20
    assert service.eta_minutes(10.1, 30) == 21
    assert service.eta_minutes(0, 30) == 1
    assert service.eta_minutes(1.5, 60) == 2


def _zone_in(**fields: Any) -> ZoneIn:
    return ZoneIn.model_validate({"name": "z", "fee": FEE.model_dump(by_alias=True), **fields})


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"type": "radius", "radiusKm": 5}, "center"),
        ({"type": "radius", "center": {"lat": 0, "lng": 0}}, "radiusKm"),
        ({"type": "polygon"}, "polygon"),
        ({"type": "polygon", "polygon": SQUARE[:-1]}, "polygon"),
        ({"type": "polygon", "polygon": BOW_TIE}, "polygon"),
        ({"type": "polygon", "polygon": SQUARE, "radiusKm": 3}, "radiusKm"),
    ],
)
def test_check_zone_names_the_field(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        service.check_zone(_zone_in(**fields))
    assert [d["field"] for d in raised.value.details] == [field]


def test_fee_amounts_share_a_currency() -> None:
    fee = ZoneFee(base=usd(1), per_km=Money(amount=1, currency="eur"), minimum=usd(1))
    with pytest.raises(ValidationFailed) as raised:
        service.check_fee(fee)
    assert raised.value.details[0]["field"] == "fee.perKm"
