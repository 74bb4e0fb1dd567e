"""Courier search rules: geohash rings, precision for a radius, staleness and ranking (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from souk.catalog import geo as geohash
from souk.delivery import geo
from souk.delivery.models import CourierCellEntry
from souk.delivery.service import couriers as service

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
OAKLAND = (37.8044, -122.2712)


def entry(courier_id: str, lat: float, lng: float, age_seconds: int = 0) -> CourierCellEntry:
    return CourierCellEntry(pk="x", sk=courier_id, courier_id=courier_id, lat=lat, lng=lng,
                            at=NOW - timedelta(seconds=age_seconds))  # fmt: skip


def test_ring_zero_is_the_cell_and_ring_one_its_eight_neighbours() -> None:
    centre = geo.ring(*OAKLAND, 5, 0)
    assert centre == [geohash.encode(*OAKLAND, 5)]
    first = geo.ring(*OAKLAND, 5, 1)
    assert len(first) == 8 and centre[0] not in first
    assert set(first) | set(centre) == set(geohash.neighbourhood(*OAKLAND, 5))


def test_ring_two_surrounds_ring_one_without_overlap() -> None:
    second = geo.ring(*OAKLAND, 5, 2)
    assert len(second) == 16
    assert not set(second) & (set(geo.ring(*OAKLAND, 5, 1)) | set(geo.ring(*OAKLAND, 5, 0)))
    # every ring-2 cell touches (shares an edge or corner with) a ring-1 cell
    first = set(geo.ring(*OAKLAND, 5, 1))
    for cell in second:
        lat_lo, lat_hi, lng_lo, lng_hi = geohash.bounds(cell)
        assert set(geohash.neighbourhood((lat_lo + lat_hi) / 2, (lng_lo + lng_hi) / 2, 5)) & first


def test_rings_wrap_across_the_antimeridian_and_stop_at_the_pole() -> None:
    east = geo.ring(0.1, 179.99, 4, 1)
    assert any(geohash.bounds(cell)[2] < 0 for cell in east)  # a neighbour on the western side
    assert len(geo.ring(89.99, 0.0, 3, 1)) < 8


@pytest.mark.parametrize(("radius", "precision"), [(15, 4), (2, 5), (1, 6), (100, 3)])
def test_the_precision_keeps_the_radius_within_the_ring_cap(radius: float, precision: int) -> None:
    assert geo.precision_for(radius) == precision
    assert geo.rings_needed(geo.DESIGN_LATITUDE, precision, radius) <= geo.MAX_RINGS
    # the next finer precision would need more rings than the cap
    assert geo.rings_needed(geo.DESIGN_LATITUDE, precision + 1, radius) > geo.MAX_RINGS


def test_stale_entries_are_ignored() -> None:
    entries = [entry("fresh", *OAKLAND, 119), entry("edge", *OAKLAND, 120), entry("stale", *OAKLAND, 121)]
    assert [e.courier_id for e in service.fresh(entries, NOW, 120)] == ["fresh", "edge"]


def test_rank_is_nearest_first_within_the_radius() -> None:
    lat, lng = OAKLAND
    entries = [entry("far", lat + 0.05, lng), entry("near", lat + 0.001, lng), entry("out", lat + 0.2, lng),
               entry("mid", lat, lng + 0.02)]  # fmt: skip
    ranked = service.rank(entries, lat, lng, 15)
    assert [c.courier_id for c in ranked] == ["near", "mid", "far"]  # "out" is ~22 km away
    assert ranked[0].distance_km == pytest.approx(0.111, abs=0.002)
