"""Dispatch races on DynamoDB Local: one courier per delivery, one offer per courier, whatever the timing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from souk.admin_settings import service as admin_settings
from souk.dispatch.models import CourierOffer, Delivery
from souk.dispatch.service import fulfilment, offers
from souk.errors import Conflict, InvalidState, SoukError
from souk.orders.schemas import StatusRequest
from tests.commerce_factories import stored_order
from tests.functional.dispatch.dispatch_support import (
    Party,
    courier_near,
    expire_offer,
    make_available,
    marker,
    party,
    preparing_order,
    stored_delivery,
)
from tests.functional.product_support import make_seller
from tests.races import at_once

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    admin_settings.forget()
    yield
    admin_settings.forget()


class Shop:
    def __init__(self) -> None:
        seller = make_seller()
        self.owner = Party(seller.user, seller.token)
        self.store = seller.store
        self.customer = party("customer")

    def ready(self) -> str:
        """A new order made ready by its owner: its delivery's id (offered at once if a courier is around)."""
        order = preparing_order(self.customer.id, self.store)
        fulfilment.move_order(self.owner.principal, order.order_id, StatusRequest(status="ready"))
        return stored_order(order.order_id).delivery_id or ""


def _offers_naming(delivery_id: str, couriers: list[Party]) -> list[str]:
    return [c.id for c in couriers if (m := marker(c.id)) is not None and m.delivery_id == delivery_id]


def test_five_couriers_accepting_one_delivery_at_once_make_exactly_one_assignment(table: str) -> None:
    shop = Shop()
    couriers = [courier_near(0.001 * (i + 1)) for i in range(5)]
    delivery_id = shop.ready()
    assert stored_delivery(delivery_id).courier_id == couriers[0].id  # the nearest holds the offer
    results = at_once([lambda c=c: offers.accept(c.principal, delivery_id) for c in couriers])
    won = [r for r in results if not isinstance(r, SoukError)]
    assert len(won) == 1 and won[0].courier_id == couriers[0].id, results
    assert [type(r) for r in results if isinstance(r, SoukError)] == [Conflict] * 4  # 409 CONFLICT
    delivery = stored_delivery(delivery_id)
    assert (delivery.status, delivery.courier_id) == ("assigned", couriers[0].id)
    assert stored_order(delivery.order_id).courier_id == couriers[0].id


def test_one_courier_accepting_five_times_at_once_is_assigned_once(table: str) -> None:
    shop = Shop()
    courier = courier_near(0.001)
    delivery_id = shop.ready()
    results = at_once([lambda: offers.accept(courier.principal, delivery_id) for _ in range(5)])
    won = [r for r in results if not isinstance(r, SoukError)]
    assert len(won) == 1, results
    # the others lost the condition and, re-reading, found it already accepted: 409 INVALID_STATE
    assert Counter(type(r) for r in results if isinstance(r, SoukError)) == {InvalidState: 4}, results
    delivery = stored_delivery(delivery_id)
    assert (delivery.status, int(delivery.version)) == ("assigned", 3)  # created, offered, assigned: no more


def test_the_job_and_a_decline_racing_make_one_offer(table: str) -> None:
    shop = Shop()
    first, second, third = courier_near(0.001), courier_near(0.01), courier_near(0.02)
    for _ in range(3):  # a few rounds: each a fresh delivery whose offer to ``first`` just expired
        make_available(first.id, 40.001, -73.0)
        delivery_id = shop.ready()
        assert stored_delivery(delivery_id).courier_id == first.id
        expire_offer(delivery_id)
        results = at_once([lambda d=delivery_id: offers.decline(first.principal, d),
                            lambda: offers.run_due(lambda: False),
                            lambda d=delivery_id: offers.settle(d)])  # fmt: skip
        assert not [r for r in results if isinstance(r, SoukError)], results
        delivery = stored_delivery(delivery_id)
        assert list(delivery.passed) == [first.id]
        assert delivery.courier_id == second.id and offers.offer_live(delivery, delivery.updated_at)
        assert _offers_naming(delivery_id, [first, second, third]) == [second.id]
        # the round's delivery is settled: the next round's must find second and third with no offer
        assert offers.decline(second.principal, delivery_id).declined
        assert offers.decline(third.principal, delivery_id).declined
        assert marker(second.id) is None and marker(third.id) is None


def test_two_deliveries_offered_at_once_to_one_courier_make_one_offer(table: str) -> None:
    shop = Shop()
    waiting = [shop.ready() for _ in range(4)]  # nobody around yet: they wait with no courier
    assert all(stored_delivery(d).courier_id is None for d in waiting)
    only = courier_near(0.001)
    results = at_once([lambda d=d: offers.offer_next(d) for d in waiting])
    offered = [r for r in results if isinstance(r, Delivery) and r.courier_id == only.id]
    assert len(offered) == 1, results
    held = [d for d in waiting if stored_delivery(d).courier_id == only.id]
    found = marker(only.id)
    assert isinstance(found, CourierOffer) and held == [found.delivery_id]


def test_the_job_running_twice_at_once_makes_one_offer_each(table: str) -> None:
    shop = Shop()
    waiting = [shop.ready() for _ in range(3)]
    couriers = [courier_near(0.001 * (i + 1)) for i in range(3)]
    at_once([lambda: offers.run_due(lambda: False) for _ in range(3)])
    holders = [stored_delivery(d).courier_id for d in waiting]
    # three deliveries, three couriers: each delivery one courier, each courier one delivery
    assert sorted(h for h in holders if h) == sorted(c.id for c in couriers), holders
    for delivery_id in waiting:
        assert len(_offers_naming(delivery_id, couriers)) == 1
        assert int(stored_delivery(delivery_id).version) == 2  # created, then offered once
