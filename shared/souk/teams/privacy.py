"""Teams' privacy hook (souk.privacy): the user leaves every team.

Refusal: the last owner of a team that has other members (the team always keeps an owner): they hand
the team over or delete it first (409 on ``DELETE /me``).

Erase, a page of the user's memberships (gsi1 ``USER_TEAMS#<id>``) a call, each membership:

- its team deleted or gone: the membership is removed;
- the user is the team's only member: the team is deleted (tombstone, then the sweep), as its owner would;
- otherwise the membership is removed with the team's counters, conditional as a removal is (an owner
  only while another owner remains), audited ``team.member_remove``; if that fails because they became
  the last owner after the request, the membership stays with its name and email anonymised. Its
  seat is given back (``seats`` - 1) in the same transaction.
"""

from __future__ import annotations

import contextlib
from typing import Any

from souk.audit import service as audit
from souk.db import personal
from souk.db.transactions import TransactionCancelled, WriteTransaction
from souk.teams.models import Membership, Team
from souk.teams.rules import owner_delta
from souk.teams.store import teams as store

ORDER = 30
REFUSAL_PAGE = 100  # memberships looked at by the request's check (one Query, one BatchGet)


def refusal(user_id: str) -> str | None:
    memberships, _ = store.user_memberships(user_id, REFUSAL_PAGE, None)
    owned = [m.team_id for m in memberships if m.role == "owner"]
    for team in store.teams_by_id(owned).values():
        if int(team.owners) <= 1 and int(team.members) > 1:
            return f"You are the last owner of the team {team.name}: make another member an owner, or delete it, first."
    return None


def export(user_id: str, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    _, inner = personal.unwrap(cursor)
    memberships, more = store.user_memberships(user_id, personal.PAGE, inner)
    return [personal.row("team_membership", m) for m in memberships], personal.wrap("teams", more) if more else None


def erase(user_id: str, cursor: str | None) -> str | None:
    _, inner = personal.unwrap(cursor)  # from the cursor: a membership kept (anonymised) is not met again
    memberships, more = store.user_memberships(user_id, personal.PAGE, inner)
    for membership in memberships:
        _leave(user_id, membership)
    return personal.wrap("teams", None) if more else None


def _leave(user_id: str, membership: Membership) -> None:
    team = store.get_team(membership.team_id)
    if team is None:
        store.forget([membership])
        return
    if int(team.members) <= 1:
        record = audit.build_record(audit.SYSTEM, "team.delete", "team", team.team_id,
                                    before={"name": team.name, "reason": "account_erasure"})  # fmt: skip
        with contextlib.suppress(TransactionCancelled):  # deleted meanwhile: the sweep removes it all the same
            store.tombstone(team, record)
        store.sweep(team.team_id)
        return
    before = {"userId": user_id, "role": membership.role, "reason": "account_erasure"}
    record = audit.build_record(audit.SYSTEM, "team.member_remove", "team", team.team_id, before=before)
    condition = store.live() & (Team.owners > 1) if membership.role == "owner" else store.live()
    try:
        with WriteTransaction() as tx:
            tx.delete(membership, Membership.role == membership.role, label=store.MEMBER_LABEL)
            tx.update(team, store.counter_actions(-1, owner_delta(membership.role, None), store.release_seat(team)),
                      condition, label=store.TEAM_LABEL)  # fmt: skip
            tx.put(record, label=f"audit:{record.action}")
    except TransactionCancelled:  # the last owner now (or changed meanwhile): kept, anonymised
        membership.update(actions=[Membership.name.set(personal.ANONYMOUS_NAME),
                                   Membership.email.set(personal.anonymous_email(user_id))])  # fmt: skip
