"""Notifications' part of ``GET /api/v1/dashboard`` (issue 14 item 5: the route itself comes with the
SaaS issue): the newest unread notifications, one page of the sparse unread index.

Found by convention (:func:`souk.registry.declaring` ``("dashboard")``), as ``points`` is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from souk.notifications.schemas import NotificationOut, NotificationsQuery
from souk.notifications.service.notifications import list_notifications
from souk.schema import CamelModel

if TYPE_CHECKING:
    from collections.abc import Callable

    from souk.caller import Principal

KEY = "notifications"
SHOWN = 5


class UnreadView(CamelModel):
    newest_unread: list[NotificationOut]
    more_unread: bool


def unread_view(principal: Principal) -> UnreadView:
    page, cursor = list_notifications(principal, NotificationsQuery(unread=True, limit=SHOWN, cursor=None))
    return UnreadView(newest_unread=page, more_unread=cursor is not None)


VIEWS: dict[str, Callable[[Principal], UnreadView]] = {
    role: unread_view for role in ("customer", "store_owner", "courier", "admin")
}
