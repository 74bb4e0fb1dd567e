"""Store review: an admin approves, rejects or suspends a store (PATCH /api/v1/admin/stores/{storeId}).

Above :mod:`souk.catalog.service.stores` and :mod:`souk.catalog.store.products`: the decision
is saved on the store, then the store's products go into the listings and search (approved)
or out of them, and the owner is emailed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from souk.catalog.models import APPROVED, Store
from souk.catalog.schemas.stores import StoreStatusRequest
from souk.catalog.service import stores
from souk.catalog.store.products import relist_store_products
from souk.notifications.schemas import Message
from souk.notifications.service.notifications import notify
from souk.notify.exceptions import NotificationError
from souk.observability import logger

if TYPE_CHECKING:
    from souk.caller import Principal


def set_store_status(principal: Principal, store_id: str, request: StoreStatusRequest) -> Store:
    """An admin's decision: approve, reject or suspend, along the allowed transitions only.

    Approval adds the store to the search and near indexes, suspension removes it; the
    owner is notified (``account``, emailed ``store_status_changed``) once the change is saved.
    """
    store, was = stores.apply_status(principal, store_id, request)
    if (was == APPROVED) != (store.status == APPROVED):
        _relist_products(store)
    _email_owner(store)
    return store


def _relist_products(store: Store) -> None:
    """Take a store's products out of listings and search when it stops selling, or back in.

    Page by page (25 products each); an admin action, so the function has a longer timeout.
    """
    cursor = relist_store_products(store.store_id, listed=store.status == APPROVED)
    while cursor is not None:
        cursor = relist_store_products(store.store_id, listed=store.status == APPROVED, cursor=cursor)


def _email_owner(store: Store) -> None:
    """Best effort after the commit: the decision stands even if it cannot be notified (once per store version)."""
    status = store.status.replace("_", " ")
    variables: dict[str, str | int | float] = {"store_name": store.name, "status": status}
    if store.status_reason:
        variables["reason"] = store.status_reason
    try:
        notify(store.owner_id, "account", store.store_id, int(store.version), title=f"{store.name} is {status}",
               body=store.status_reason or f"An admin set your store {store.name} to {status}.",
               data={"storeId": store.store_id, "status": store.status},
               email=Message("store_status_changed", variables))  # fmt: skip
    except NotificationError as exc:
        logger.warning("store status email not queued", extra={"store_id": store.store_id,
                                                                "error_type": type(exc).__name__})  # fmt: skip
