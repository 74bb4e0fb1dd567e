"""Plane and sphere geometry for delivery zones: pure functions, no DynamoDB, no API model.

Positions are GeoJSON ``(lng, lat)`` pairs. Zones are city-sized, so rings are treated as
plane polygons in degrees (point in polygon, self-intersection) and their area is taken on
an equirectangular projection around the ring's mean latitude; distances are haversine
("road-less": the straight line over the sphere, never a route).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from souk.catalog import geo as geohash

EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE = math.pi * EARTH_RADIUS_KM / 180
EPSILON = 1e-12  # degrees²: a cross product this small is a point on the line

Position = tuple[float, float]  # (lng, lat), GeoJSON order


def haversine_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """The great-circle distance between two points, in km."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lng2 - lng1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def _cross(o: Position, a: Position, b: Position) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def _on_segment(p: Position, a: Position, b: Position) -> bool:
    """Whether ``p`` lies on the segment ``a``-``b`` (ends included)."""
    if abs(_cross(a, b, p)) > EPSILON:
        return False
    return min(a[0], b[0]) - EPSILON <= p[0] <= max(a[0], b[0]) + EPSILON and (
        min(a[1], b[1]) - EPSILON <= p[1] <= max(a[1], b[1]) + EPSILON
    )


def _segments(ring: Sequence[Position]) -> list[tuple[Position, Position]]:
    return [(ring[i], ring[i + 1]) for i in range(len(ring) - 1)]


def in_ring(point: Position, ring: Sequence[Position]) -> bool:
    """Whether ``point`` is inside the closed ``ring`` or on its boundary (even-odd rule, so
    concave rings work). A point on an edge or a vertex counts as inside: an address on a
    zone's border is served rather than refused."""
    x, y = point
    inside = False
    for a, b in _segments(ring):
        if _on_segment(point, a, b):
            return True
        if (a[1] > y) != (b[1] > y):
            x_cross = a[0] + (y - a[1]) * (b[0] - a[0]) / (b[1] - a[1])
            if x < x_cross:
                inside = not inside
    return inside


def _segments_meet(a: Position, b: Position, c: Position, d: Position) -> bool:
    d1, d2 = _cross(c, d, a), _cross(c, d, b)
    d3, d4 = _cross(a, b, c), _cross(a, b, d)
    if ((d1 > EPSILON and d2 < -EPSILON) or (d1 < -EPSILON and d2 > EPSILON)) and (
        (d3 > EPSILON and d4 < -EPSILON) or (d3 < -EPSILON and d4 > EPSILON)
    ):
        return True
    return _on_segment(a, c, d) or _on_segment(b, c, d) or _on_segment(c, a, b) or _on_segment(d, a, b)


def ring_problem(ring: Sequence[Position]) -> str | None:
    """Why ``ring`` is not a valid GeoJSON linear ring, or None: it needs >= 4 positions, the
    last equal to the first, no repeated corner, and no edge crossing or touching another
    (a figure eight or a bow tie has no clear inside)."""
    if len(ring) < 4:
        return "A ring needs at least 4 positions (a triangle and its closing position)."
    if tuple(ring[0]) != tuple(ring[-1]):
        return "The ring is open: its last position must equal its first."
    corners = [tuple(p) for p in ring[:-1]]
    if len(set(corners)) != len(corners):
        return "The ring repeats a position: it must not touch itself."
    edges = _segments(ring)
    count = len(edges)
    for i in range(count):
        for j in range(i + 1, count):
            if j == i + 1 or (i == 0 and j == count - 1):
                continue  # neighbours share a corner, and only it (repeats are refused above)
            if _segments_meet(*edges[i], *edges[j]):
                return "The ring intersects itself."
    if area_km2(ring) == 0:
        return "The ring encloses no area."
    return None


def area_km2(ring: Sequence[Position]) -> float:
    """The area a ring encloses, in km² (shoelace on an equirectangular projection)."""
    mean_lat = sum(p[1] for p in ring[:-1]) / max(1, len(ring) - 1)
    x_scale = KM_PER_DEGREE * math.cos(math.radians(mean_lat))
    twice = 0.0
    for a, b in _segments(ring):
        twice += (a[0] * x_scale) * (b[1] * KM_PER_DEGREE) - (b[0] * x_scale) * (a[1] * KM_PER_DEGREE)
    return abs(twice) / 2


def circle_area_km2(radius_km: float) -> float:
    return math.pi * radius_km**2


# --- courier search: geohash cells and rings (the geohash itself is souk.catalog.geo's) ---------

MAX_RINGS = 2  # rings of cells around the centre cell a search may read: at most 5 x 5 = 25 cells
PRECISIONS = range(7, 0, -1)  # finest first; 7 chars is ~153 m x 153 m
DESIGN_LATITUDE = 60.0  # cells narrow east-west with latitude: the precision is chosen for this one


def cell_of(lat: float, lng: float, precision: int) -> str:
    return geohash.encode(lat, lng, precision)


def rings_needed(lat: float, precision: int, radius_km: float) -> int:
    """How many rings of cells around the point's cell cover ``radius_km`` from it (ring k
    reaches at least k cells beyond the centre cell in every direction)."""
    reach = geohash.coverage_km(lat, precision)
    if reach <= 0:
        return MAX_RINGS + 1
    return max(1, math.ceil(radius_km / reach))


def covered_km(lat: float, precision: int, k: int) -> float:
    """How far from the point rings 0..k are sure to reach (0 for the centre cell alone)."""
    return k * geohash.coverage_km(lat, precision)


def precision_for(radius_km: float) -> int:
    """The finest geohash precision whose cells cover ``radius_km`` within ``MAX_RINGS`` rings
    up to ``DESIGN_LATITUDE`` (15 km: 4 chars; 2 km: 5 chars)."""
    for precision in PRECISIONS:
        if rings_needed(DESIGN_LATITUDE, precision, radius_km) <= MAX_RINGS:
            return precision
    return 1


def ring(lat: float, lng: float, precision: int, k: int) -> list[str]:
    """The cells at Chebyshev distance ``k`` from the point's cell (ring 0: the cell itself;
    ring k: 8k cells, fewer next to a pole or where the ring wraps round the globe)."""
    height, width = geohash.cell_size_degrees(precision)
    lat_lo, lat_hi, lng_lo, lng_hi = geohash.bounds(geohash.encode(lat, lng, precision))
    centre_lat, centre_lng = (lat_lo + lat_hi) / 2, (lng_lo + lng_hi) / 2
    cells: list[str] = []
    for d_lat in range(-k, k + 1):
        cell_lat = centre_lat + d_lat * height
        if not -90 < cell_lat < 90:
            continue
        for d_lng in range(-k, k + 1):
            if max(abs(d_lat), abs(d_lng)) != k:
                continue
            cell_lng = (centre_lng + d_lng * width + 180) % 360 - 180  # wrap across the antimeridian
            cell = geohash.encode(cell_lat, cell_lng, precision)
            if cell not in cells:
                cells.append(cell)
    return cells
