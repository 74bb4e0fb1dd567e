"""Delivery scenario: ``nearest_couriers`` reads a bounded number of items with 100 and 10,000
available couriers around the point (no route exposes it yet: dispatch, issue 13 item 3, will).

The filler writes fresh courier cell entries straight into the table, as
:func:`souk.delivery.service.couriers.set_availability` would (:class:`CourierCellEntry`, the cell of
the default ``maxRadiusKm``'s precision), spread over a square of about 44 km around Oakland.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from bench.ddb import Request, Scenario, Table, batch_put

CENTRE = (37.8044, -122.2712)
SPREAD = 0.2  # degrees each side of the centre
SIZES = (100, 10_000)


def fill_couriers(table: Table, count: int) -> None:
    from souk.admin_settings.schemas import DeliverySettings
    from souk.delivery import geo, keys
    from souk.delivery.models import CourierCellEntry

    settings = DeliverySettings()
    precision = geo.precision_for(settings.max_radius_km)
    now = datetime.now(UTC)
    rng = random.Random(13)
    items = []
    for i in range(count):
        lat = round(CENTRE[0] + rng.uniform(-SPREAD, SPREAD), 6)
        lng = round(CENTRE[1] + rng.uniform(-SPREAD, SPREAD), 6)
        courier_id = f"01BENCHCOURIER{i:012d}"
        cell = geo.cell_of(lat, lng, precision)
        entry = CourierCellEntry(
            pk=keys.courier_cell_key(cell), sk=keys.courier_key(courier_id), courier_id=courier_id,
            lat=lat, lng=lng, at=now, expires_at=now + timedelta(seconds=settings.stale_after_seconds),
        )  # fmt: skip
        items.append(entry.serialize())
    batch_put(table, items)


def _nearest(table: Table) -> int:
    from souk.admin_settings import service as admin_settings
    from souk.db.base import configure
    from souk.delivery.service import couriers as service

    configure(host=None, table_name=table.name)  # the models read the name once, at import
    admin_settings.forget()  # a fresh table per size
    found = service.nearest_couriers(*CENTRE, limit=5, settings=admin_settings.current().delivery)
    return 200 if found else 404


def _names_it(table: Table) -> Request:
    return Request("CALL", "souk.delivery.service.couriers.nearest_couriers(limit=5)")


def _bound() -> int:
    from souk.delivery import geo
    from souk.delivery.service import couriers as service

    return (2 * geo.MAX_RINGS + 1) ** 2 * service.PER_CELL_PAGE


SCENARIOS = [
    Scenario("nearest_couriers (limit 5)", _names_it, fill=fill_couriers, sizes=SIZES, invoke=_nearest, bound=_bound())
]
