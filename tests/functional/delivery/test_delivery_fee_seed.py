"""`make seed` adds a delivery zone covering the demo addresses, so a newcomer's checkout has a zone."""

from __future__ import annotations

import io

import pytest

from infra import seed
from souk.delivery import terms
from souk.delivery.service import zones
from tests.support import ApiClient

pytestmark = pytest.mark.no_default_zone  # only the seed's zone

STORE_AT = (30.0497, 31.2622)  # Al Muizz St, where the README's walkthrough puts its store


def test_the_seed_adds_one_cairo_zone_that_prices_every_demo_address(api: ApiClient) -> None:
    # WHEN the seed runs twice
    first, second = io.StringIO(), io.StringIO()
    seed.seed(first)
    seed.seed(second)
    # THEN one zone, said created then already there
    assert f"Delivery zone {seed.DEMO_ZONE['name']}: created" in first.getvalue()
    assert f"Delivery zone {seed.DEMO_ZONE['name']}: already there" in second.getvalue()
    listed = zones.list_zones(None)
    assert [zone.name for zone in listed] == [seed.DEMO_ZONE["name"]]
    # AND every demo address gets a usd fee from a store in Cairo, by the checkout's rule
    for demo in seed.DEMO_USERS:
        for place in demo.addresses:
            found = terms.delivery_terms(listed, STORE_AT, (place.lat, place.lng), currency="usd", speed_kmh=25)
            assert found.zone.id == listed[0].id and found.fee.amount >= 200, (demo.email, place.label)
    # AND an address elsewhere is outside it (checkout would be 422)
    with pytest.raises(terms.NoDelivery):
        terms.delivery_terms(listed, STORE_AT, (40.1, -73.2), currency="usd", speed_kmh=25)
