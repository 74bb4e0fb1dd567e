"""The ``privacy`` queue: one message per step run of an account's erasure (``{"userId": ...}``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from souk.db import queues
from souk.db.queues import EnqueueFailed as EnqueueFailed  # send raises it; the service catches it here
from souk.settings import get_settings

if TYPE_CHECKING:
    from souk.privacy.schemas import ErasureMessage


def send(message: ErasureMessage) -> None:
    """Queue the erasure's next run (raises :class:`EnqueueFailed`)."""
    queues.send(get_settings().privacy_queue_url, "PRIVACY_QUEUE_URL", message.body(), what="an erasure step")
