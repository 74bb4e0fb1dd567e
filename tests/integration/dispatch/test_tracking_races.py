"""Location batches racing on DynamoDB Local: the last position only ever moves forward."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from souk.admin_settings import service as admin_settings
from souk.dispatch.schemas import LocationsIn
from souk.dispatch.service import tracking
from souk.errors import SoukError
from tests.dispatch_factories import job, point, stored_delivery, stored_trail
from tests.races import at_once

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    admin_settings.forget()
    yield
    admin_settings.forget()


def test_two_batches_at_once_leave_the_newest_point_as_the_last_position(table: str) -> None:
    work = job()
    base = datetime.now(UTC) - timedelta(minutes=4)
    for round_ in range(3):  # each round: an older and a newer batch sent at the same instant
        t = base + timedelta(seconds=40 * round_)
        older = LocationsIn.model_validate({"points": [point(40.0 + i / 1e3, -73.0, t + timedelta(seconds=i))
                                                       for i in range(10)]})  # fmt: skip
        newer = LocationsIn.model_validate({"points": [point(41.0 + i / 1e3, -73.0, t + timedelta(seconds=20 + i))
                                                       for i in range(10)]})  # fmt: skip
        results = at_once([lambda body=body: tracking.record_locations(work.courier.principal, work.delivery_id, body)
                           for body in (older, newer)])  # fmt: skip
        assert not [r for r in results if isinstance(r, SoukError)], results
        # THEN whichever wrote first, the last position is the newest point of the two
        stored = stored_delivery(work.delivery_id)
        assert stored.last_at == t + timedelta(seconds=29)
        assert (float(stored.last_lat), float(stored.last_lng)) == (41.009, -73.0)
    assert len(stored_trail(work.delivery_id)) == 60
