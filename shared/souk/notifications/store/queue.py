"""The ``notifications`` queue: the pages of a broadcast's fan-out, one message each."""

from __future__ import annotations

from typing import TYPE_CHECKING

from souk.db import queues
from souk.db.queues import EnqueueFailed as EnqueueFailed  # send raises it; the service catches it here
from souk.settings import get_settings

if TYPE_CHECKING:
    from souk.notifications.schemas import BroadcastJob


def send(job: BroadcastJob) -> None:
    """Put one page's message on the queue (raises :class:`EnqueueFailed`)."""
    settings = get_settings()
    queues.send(settings.notifications_queue_url, "NOTIFICATIONS_QUEUE_URL", job.body(), what="a broadcast page")
