"""Geohash encoding, neighbourhoods and the distance a 9-cell read is sure to cover."""

from __future__ import annotations

import math
import random

import pytest

from souk.catalog import geo


def test_encode_matches_the_reference_vector() -> None:
    # GIVEN the point from the geohash reference (Jutland)
    # THEN its 11-character hash is the published one, and shorter ones are its prefixes
    assert geo.encode(57.64911, 10.40744, 11) == "u4pruydqqvj"
    assert geo.encode(57.64911, 10.40744, 5) == "u4pru"


def test_bounds_contain_the_point_and_have_the_precision_size() -> None:
    lat_lo, lat_hi, lng_lo, lng_hi = geo.bounds(geo.encode(-33.8688, 151.2093, 5))
    assert lat_lo <= -33.8688 < lat_hi and lng_lo <= 151.2093 < lng_hi
    height, width = geo.cell_size_degrees(5)
    assert lat_hi - lat_lo == pytest.approx(height) and lng_hi - lng_lo == pytest.approx(width)


def test_encode_refuses_points_off_the_globe() -> None:
    with pytest.raises(ValueError):
        geo.encode(91, 0)
    with pytest.raises(ValueError):
        geo.encode(0, 181)


def test_neighbourhood_is_the_cell_and_its_eight_neighbours() -> None:
    # GIVEN a point in Oakland
    cells = geo.neighbourhood(37.8044, -122.2712, 5)
    # THEN nine distinct cells, the point's own among them, each touching the centre cell
    assert len(set(cells)) == 9 and geo.encode(37.8044, -122.2712, 5) in cells
    c_lat_lo, c_lat_hi, c_lng_lo, c_lng_hi = geo.bounds(geo.encode(37.8044, -122.2712, 5))
    for cell in cells:
        lat_lo, lat_hi, lng_lo, lng_hi = geo.bounds(cell)
        assert lat_lo <= c_lat_hi + 1e-9 and lat_hi >= c_lat_lo - 1e-9
        assert lng_lo <= c_lng_hi + 1e-9 and lng_hi >= c_lng_lo - 1e-9


def test_neighbourhood_wraps_the_antimeridian_and_stops_at_the_pole() -> None:
    east = geo.neighbourhood(0.01, 179.99, 4)
    assert len(east) == 9 and any(geo.bounds(c)[2] == -180.0 for c in east)
    assert len(geo.neighbourhood(89.99, 10.0, 4)) == 6  # no row beyond the pole


@pytest.mark.parametrize("precision", [4, 5])
@pytest.mark.parametrize("lat", [0.0, 37.8, -45.0, 65.0])
def test_every_point_within_coverage_lies_in_the_neighbourhood(precision: int, lat: float) -> None:
    # GIVEN points scattered around a centre, all within the promised coverage
    rng = random.Random(f"{precision}-{lat}")
    for _ in range(40):
        centre_lat, centre_lng = lat + rng.uniform(-0.5, 0.5), rng.uniform(-179, 179)
        reach = geo.coverage_km(centre_lat, precision)
        cells = set(geo.neighbourhood(centre_lat, centre_lng, precision))
        for _ in range(25):
            bearing, distance = rng.uniform(0, 2 * math.pi), rng.uniform(0, reach)
            d_lat = distance * math.cos(bearing) / geo.KM_PER_DEGREE
            d_lng = distance * math.sin(bearing) / (geo.KM_PER_DEGREE * math.cos(math.radians(centre_lat + d_lat)))
            p_lat, p_lng = centre_lat + d_lat, centre_lng + d_lng
            if geo.haversine_km(centre_lat, centre_lng, p_lat, p_lng) > reach:
                continue
            # THEN each one is found by reading the nine cells
            assert geo.encode(p_lat, p_lng, precision) in cells


def test_coverage_of_the_index_partitions() -> None:
    # 5-char cells reach about 4.9 km at the equator; 4-char ones cover the default 10 km radius to 60 degrees
    assert 4.5 < geo.coverage_km(0, 5) < 4.9
    assert geo.coverage_km(60, 4) > 10 and geo.coverage_km(80, 4) < 10


def test_haversine_known_distance() -> None:
    # Berlin to Paris is about 878 km
    assert geo.haversine_km(52.52, 13.405, 48.8566, 2.3522) == pytest.approx(877.5, abs=1)
    assert geo.haversine_km(10, 10, 10, 10) == 0
