"""Geohash encoding, cell neighbourhoods and distances, without a new dependency.

A geohash interleaves longitude and latitude bits (longitude first) and writes them in
base32; every extra character narrows the cell 32-fold. Approved stores sit in a
``STOREGEO#<4-char cell>`` partition with the full geohash leading the sort key, so a
"near" query reads the 9 cells around the point either as whole 4-char partitions or,
for small radii, as 5-char cells (``begins_with`` on the sort key): 9 Queries either way.

Why not 5-char partitions only: 9 five-char cells reach only ~4.9 km from the point at
the equator (less towards the poles), short of the default 10 km radius, so stores 5 to
10 km away would be missed without any error.
"""

from __future__ import annotations

import math

_BASE32 = "0123456789bcdefghjkmnpqrstuvwxyz"
_DECODE = {ch: i for i, ch in enumerate(_BASE32)}

EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE = math.pi * EARTH_RADIUS_KM / 180
STORE_PRECISION = 9  # ~4.8 m x 4.8 m: plenty to sort by, cheap to store
PARTITION_PRECISION = 4  # the STOREGEO partition: ~39 km x 19.5 km at the equator
FINE_PRECISION = 5  # a begins_with inside a partition: ~4.9 km x 4.9 km


def encode(lat: float, lng: float, precision: int = STORE_PRECISION) -> str:
    """The geohash of a point, ``precision`` characters long."""
    if not -90 <= lat <= 90 or not -180 <= lng <= 180:
        raise ValueError("latitude must be within [-90, 90] and longitude within [-180, 180]")
    lat_lo, lat_hi, lng_lo, lng_hi = -90.0, 90.0, -180.0, 180.0
    chars: list[str] = []
    bits = 0
    value = 0
    even = True  # even bits are longitude
    while len(chars) < precision:
        if even:
            mid = (lng_lo + lng_hi) / 2
            if lng >= mid:
                value = value * 2 + 1
                lng_lo = mid
            else:
                value *= 2
                lng_hi = mid
        else:
            mid = (lat_lo + lat_hi) / 2
            if lat >= mid:
                value = value * 2 + 1
                lat_lo = mid
            else:
                value *= 2
                lat_hi = mid
        even = not even
        bits += 1
        if bits == 5:
            chars.append(_BASE32[value])
            bits = value = 0
    return "".join(chars)


def bounds(geohash: str) -> tuple[float, float, float, float]:
    """The cell of a geohash as ``(lat_min, lat_max, lng_min, lng_max)``."""
    lat_lo, lat_hi, lng_lo, lng_hi = -90.0, 90.0, -180.0, 180.0
    even = True
    for ch in geohash:
        value = _DECODE[ch]
        for shift in range(4, -1, -1):
            bit = (value >> shift) & 1
            if even:
                mid = (lng_lo + lng_hi) / 2
                lng_lo, lng_hi = (mid, lng_hi) if bit else (lng_lo, mid)
            else:
                mid = (lat_lo + lat_hi) / 2
                lat_lo, lat_hi = (mid, lat_hi) if bit else (lat_lo, mid)
            even = not even
    return lat_lo, lat_hi, lng_lo, lng_hi


def cell_size_degrees(precision: int) -> tuple[float, float]:
    """``(height, width)`` in degrees of latitude and longitude of any cell of that precision."""
    total = 5 * precision
    lng_bits = (total + 1) // 2
    lat_bits = total // 2
    return 180.0 / 2**lat_bits, 360.0 / 2**lng_bits


def neighbourhood(lat: float, lng: float, precision: int) -> list[str]:
    """The cell holding the point and its (up to) 8 neighbours; fewer next to a pole."""
    height, width = cell_size_degrees(precision)
    lat_lo, lat_hi, lng_lo, lng_hi = bounds(encode(lat, lng, precision))
    centre_lat, centre_lng = (lat_lo + lat_hi) / 2, (lng_lo + lng_hi) / 2
    cells: list[str] = []
    for d_lat in (-1, 0, 1):
        cell_lat = centre_lat + d_lat * height
        if not -90 < cell_lat < 90:
            continue
        for d_lng in (-1, 0, 1):
            cell_lng = (centre_lng + d_lng * width + 180) % 360 - 180  # wrap across the antimeridian
            cell = encode(cell_lat, cell_lng, precision)
            if cell not in cells:
                cells.append(cell)
    return cells


def coverage_km(lat: float, precision: int) -> float:
    """The distance from the point that its 9-cell neighbourhood is sure to cover.

    The point lies in the centre cell, so the neighbours reach at least one whole cell
    beyond it in each direction: a cell's height north and south, a cell's width east
    and west, that width shrinking with the cosine of the latitude (taken at the band's
    edge nearest the pole, and with a 1% margin because a great circle is shorter than
    the parallel).
    """
    height, width = cell_size_degrees(precision)
    worst_lat = min(90.0, abs(lat) + height)
    north_south = height * KM_PER_DEGREE
    east_west = width * KM_PER_DEGREE * math.cos(math.radians(worst_lat)) * 0.99
    return max(0.0, min(north_south, east_west))


def haversine_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance between two points in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    d_lat = p2 - p1
    d_lng = math.radians(lng2 - lng1)
    a = math.sin(d_lat / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(d_lng / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))
