"""Dispatch's privacy hook (souk.privacy): a courier holding a delivery may not be erased until it ends.

Refusal: a delivery assigned to the courier or picked up (gsi1 ``COURIER#<id>#JOBS``, one Query): the
customer is waiting for it; they deliver it or report it failed first. An offer not yet accepted lapses
(sessions end with the request) and moves to the next courier as any lapsed offer does.

Export: the deliveries offered to or held by them (the same index). Erase: nothing; delivered orders'
deliveries are kept with the order (they hold the courier's id, whose user item is anonymised last).
"""

from __future__ import annotations

from typing import Any

from souk.db import personal
from souk.dispatch import keys
from souk.dispatch.models import ASSIGNED, PICKED_UP, Delivery

ORDER = 45
HELD = frozenset({ASSIGNED, PICKED_UP})
REFUSAL_PAGE = 25  # a courier holds a handful of jobs at most


def _jobs(user_id: str, limit: int, last_key: dict[str, Any] | None) -> tuple[list[Delivery], dict[str, Any] | None]:
    result = Delivery.gsi1.query(keys.courier_jobs(user_id), page_size=limit, last_evaluated_key=last_key)
    found, more = personal.page(result)  # type: ignore[arg-type]
    return [d for d in found if isinstance(d, Delivery)], more


def refusal(user_id: str) -> str | None:
    jobs, _ = _jobs(user_id, REFUSAL_PAGE, None)
    if any(d.status in HELD and d.courier_id == user_id for d in jobs):
        return "You hold a delivery in progress: deliver it, or report it failed, before deleting your account."
    return None


def export(user_id: str, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    _, last_key = personal.position(cursor)
    jobs, more = _jobs(user_id, personal.PAGE, last_key)
    return [personal.row("delivery", d) for d in jobs], personal.cursor("jobs", more) if more else None


def erase(user_id: str, cursor: str | None) -> str | None:
    return None  # kept: see the module doc
