"""Courier availability races on DynamoDB Local: one courier, one index entry, whatever the order."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from souk.admin_settings import service as admin_settings
from souk.caller import Principal
from souk.catalog import geo as geohash
from souk.delivery import geo, keys
from souk.delivery.models import CourierCellEntry, CourierPosition
from souk.delivery.schemas import AvailabilityIn
from souk.delivery.service import couriers as service
from souk.errors import Conflict, SoukError
from tests.factories import approved_courier
from tests.races import at_once

pytestmark = pytest.mark.integration

OAKLAND = (37.8044, -122.2712)
SPOTS = [(OAKLAND[0] + 0.5 * i, OAKLAND[1]) for i in range(4)]  # ~55 km apart: four different cells


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    admin_settings.forget()
    yield
    admin_settings.forget()


def test_updates_racing_from_different_cells_leave_exactly_one_entry(table: str) -> None:
    user = approved_courier()
    caller = Principal(user.user_id, user.role, "session")
    precision = geo.precision_for(admin_settings.current().delivery.max_radius_km)
    cells = [geohash.encode(*spot, precision) for spot in SPOTS]
    assert len(set(cells)) == len(SPOTS)
    for _ in range(3):  # a few rounds: each starts from the entry the last one left
        bodies = [AvailabilityIn(available=True, lat=lat, lng=lng) for lat, lng in SPOTS]
        results = at_once([lambda body=body: service.set_availability(caller, body) for body in bodies])
        # each update wins or, after 5 lost tries, is a 409 asking to retry: never another error
        assert all(not isinstance(r, SoukError) or isinstance(r, Conflict) for r in results), results
        assert any(not isinstance(r, SoukError) for r in results)
        entries = [e for cell in cells for e in CourierCellEntry.query(keys.courier_cell_key(cell))]
        assert len(entries) == 1, [e.pk for e in entries]
        position = CourierPosition.get(keys.courier_key(user.user_id), keys.POSITION, consistent_read=True)
        assert entries[0].pk == keys.courier_cell_key(position.cell or "")
        assert (float(entries[0].lat), float(entries[0].lng)) == (float(position.lat), float(position.lng))
