"""Plane and sphere geometry for delivery zones: pure functions, no DynamoDB, no API model.

Positions are GeoJSON ``(lng, lat)`` pairs. Zones are city-sized, so rings are treated as
plane polygons in degrees (point in polygon, self-intersection) and their area is taken on
an equirectangular projection around the ring's mean latitude; distances are haversine
("road-less": the straight line over the sphere, never a route).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

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
