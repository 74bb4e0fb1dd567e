"""Broadcast items (``BROADCAST#<id>`` / ``BROADCAST``), their progress, and the audience's pages.

The audience is read through identity's user indexes, one bounded page at a time: a role's
users on gsi2 (``USERS#<role>``), everyone on gsi1 (``USERS``); never a Scan.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DeleteError, DoesNotExist, UpdateError
from pynamodb.expressions.update import Action

from souk.audit import service as audit
from souk.audit.models import AuditRecord
from souk.caller import Actor
from souk.db.base import utc_now
from souk.db.paging import one_page
from souk.db.transactions import WriteTransaction
from souk.identity import keys as identity_keys
from souk.identity.models import User
from souk.notifications import keys
from souk.notifications.models import Broadcast


def _conditional_failed(error: UpdateError | DeleteError) -> bool:
    return error.cause_response_code == "ConditionalCheckFailedException"


def new_broadcast(broadcast_id: str, *, title: str, body: str, role: str | None, created_by: str) -> Broadcast:
    now = utc_now()
    return Broadcast(pk=keys.broadcast(broadcast_id), sk=keys.BROADCAST, broadcast_id=broadcast_id, title=title,
                     body=body, role=role, status="queued", recipients=0, pages_done=0, queued_page=1,
                     created_by=created_by, created_at=now, updated_at=now)  # fmt: skip


def create(item: Broadcast, actor: Actor, after: dict[str, Any]) -> AuditRecord:
    """Put the broadcast and its audit record in one transaction."""
    with WriteTransaction() as tx:
        tx.put(item, condition=Broadcast.pk.does_not_exist(), label="broadcast")
        return audit.record(actor, "notification.broadcast", "broadcast", item.broadcast_id, tx=tx, after=after)


def load(broadcast_id: str, *, consistent: bool = False) -> Broadcast | None:
    try:
        return Broadcast.get(keys.broadcast(broadcast_id), keys.BROADCAST, consistent_read=consistent)
    except DoesNotExist:
        return None


def forget_unsent(broadcast_id: str) -> None:
    """Delete a broadcast whose first page could not be queued (nothing was sent for it)."""
    try:
        Broadcast(keys.broadcast(broadcast_id), keys.BROADCAST).delete(condition=Broadcast.pages_done == 0)
    except DeleteError as error:
        if not _conditional_failed(error):
            raise


def audience_page(role: str | None, cursor: dict[str, Any] | None, size: int
                  ) -> tuple[list[User], dict[str, Any] | None]:  # fmt: skip
    """One Query of at most ``size`` users of ``role`` (everyone when None), from ``cursor``; and the next cursor."""
    if role:
        result = User.gsi2.query(identity_keys.users_by_role(role), page_size=size, limit=size,
                                 last_evaluated_key=cursor)  # fmt: skip
    else:
        result = User.gsi1.query(identity_keys.USERS_ALL, page_size=size, limit=size, last_evaluated_key=cursor)
    return one_page(User, result)


def record_page(broadcast_id: str, page: int, reached: int, next_cursor: dict[str, Any] | None,
                now: datetime) -> bool:  # fmt: skip
    """Count page ``page`` done (``reached`` more recipients), once: conditional on ``pagesDone = page - 1``.

    The last page (``next_cursor`` None) completes the broadcast. False when this page was
    already counted (a redelivery).
    """
    last = next_cursor is None
    status = "completed" if last else "sending"
    actions: list[Action] = [Broadcast.pages_done.set(page), Broadcast.recipients.add(reached),
                             Broadcast.updated_at.set(now), Broadcast.status.set(status)]  # fmt: skip
    if last:
        actions += [Broadcast.completed_at.set(now), Broadcast.next_cursor.remove()]
    else:
        actions.append(Broadcast.next_cursor.set(json.dumps(next_cursor, separators=(",", ":"), sort_keys=True)))
    try:
        Broadcast(keys.broadcast(broadcast_id), keys.BROADCAST).update(
            actions=actions, condition=Broadcast.pk.exists() & (Broadcast.pages_done == page - 1)
        )
    except UpdateError as error:
        if _conditional_failed(error):
            return False
        raise
    return True


def record_queued(broadcast_id: str, page: int) -> None:
    """Note that page ``page``'s message was sent (a redelivered earlier page then sends nothing)."""
    try:
        Broadcast(keys.broadcast(broadcast_id), keys.BROADCAST).update(
            actions=[Broadcast.queued_page.set(page)], condition=Broadcast.queued_page < page
        )
    except UpdateError as error:
        if not _conditional_failed(error):
            raise


def cursor_of(item: Broadcast) -> dict[str, Any] | None:
    return json.loads(item.next_cursor) if item.next_cursor else None
