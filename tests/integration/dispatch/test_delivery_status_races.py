"""A delivered racing a failed on DynamoDB Local: exactly one applies, and the fee is paid at most once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from souk.admin_settings import service as admin_settings
from souk.dispatch.models import Delivery
from souk.dispatch.schemas import DeliveryOut, DeliveryStatusIn
from souk.dispatch.service import status
from souk.errors import InvalidState
from souk.ids import new_id
from souk.uploads import store as uploads_store
from tests.dispatch_factories import DROPOFF, FEE, job, stored_delivery, wallet_balance, wallet_entries
from tests.races import at_once

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    admin_settings.forget()
    yield
    admin_settings.forget()


def ready_photo(owner_id: str) -> str:
    """An upload whose file was confirmed already (no S3 here: a claimed upload costs no HeadObject)."""
    upload_id = new_id()
    upload = uploads_store.new_upload(upload_id, owner_id, purpose="attachment", content_type="image/jpeg", size=10,
                                      filename="door.jpg", key=uploads_store.object_key("attachment", owner_id,
                                                                                        upload_id))  # fmt: skip
    upload.status = "ready"
    upload.save()
    return upload_id


@pytest.mark.parametrize("round_", range(3))
def test_delivered_and_failed_at_once_exactly_one_applies(table: str, round_: int) -> None:
    work = job()
    courier = work.courier.principal
    status.change_status(courier, work.delivery_id, DeliveryStatusIn(status="picked_up"))
    work.delivery.update([Delivery.last_lat.set(DROPOFF[0]), Delivery.last_lng.set(DROPOFF[1]),
                          Delivery.last_at.set(datetime.now(UTC))])  # fmt: skip
    delivered = DeliveryStatusIn(status="delivered", proof_upload_id=ready_photo(work.courier.id))
    failed = DeliveryStatusIn(status="failed", reason="customer unreachable")
    results = at_once([lambda: status.change_status(courier, work.delivery_id, delivered),
                       lambda: status.change_status(courier, work.delivery_id, failed)])  # fmt: skip
    # THEN one answers with the delivery, the other 409 INVALID_STATE; never anything else
    won = [r for r in results if isinstance(r, DeliveryOut)]
    lost = [r for r in results if isinstance(r, InvalidState)]
    assert len(won) == 1 and len(lost) == 1, results
    final = stored_delivery(work.delivery_id)
    assert final.status == won[0].status
    order = work.order
    if final.status == "delivered":
        assert order.status == "delivered"
        assert wallet_balance(work.courier.id) == FEE and len(wallet_entries(work.courier.id)) == 1
    else:
        assert final.status == "failed" and order.status == "preparing" and order.courier_id is None
        assert wallet_balance(work.courier.id) == 0 and wallet_entries(work.courier.id) == []
    # the order's history took exactly one of the two moves
    assert [h["status"] for h in order.history].count("delivered") + [h["status"] for h in order.history].count(
        "preparing"
    ) == 1
