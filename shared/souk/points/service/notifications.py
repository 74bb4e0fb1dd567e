"""A customer hears that a lot of their points is about to expire: once per lot.

Called by the daily job after the lot's ``remindedAt`` flag was set (a conditional update,
so a second run or a concurrent one never reminds twice); :func:`souk.notifications.service.
notifications.notify` keys the notification on the lot (version ``"expiring"``), so a retry
writes one notification and queues one email. Best effort: the flag stands when the email
cannot be queued.
"""

from __future__ import annotations

from souk.notifications.schemas import Message
from souk.notifications.service.notifications import notify
from souk.notify.exceptions import NotificationError
from souk.observability import logger
from souk.points.models import PointsLot


def expiring(lot: PointsLot) -> None:
    date = lot.lot_expires_at.date().isoformat()
    points = int(lot.remaining)
    try:
        notify(lot.user_id, "points", lot.lot_id, "expiring", title=f"{points} points expire on {date}",
               body=f"{points} of your loyalty points expire on {date} (UTC). Redeem them at checkout before then.",
               data={"lotId": lot.lot_id, "points": points, "expiresAt": lot.lot_expires_at.isoformat()},
               email=Message("points_expiring", {"points": points, "date": date}))  # fmt: skip
    except NotificationError as exc:
        logger.warning("points reminder not queued", extra={"lot_id": lot.lot_id, "error_type": type(exc).__name__})
