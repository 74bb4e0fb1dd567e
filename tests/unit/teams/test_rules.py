"""Teams' pure rules: who may do what in a team, the last-owner rule, invite tokens and expiry."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from souk.errors import Forbidden
from souk.teams import rules

ROLES = ["owner", "admin", "member", "viewer"]


@pytest.mark.parametrize("role", ROLES)
def test_only_admins_and_owners_rename_and_only_owners_delete(role: str) -> None:
    if role in ("owner", "admin"):
        rules.check_manage_team(role)
    else:
        with pytest.raises(Forbidden):
            rules.check_manage_team(role)
    if role == "owner":
        rules.check_delete_team(role)
    else:
        with pytest.raises(Forbidden):
            rules.check_delete_team(role)


@pytest.mark.parametrize(
    ("actor", "new_role", "allowed"),
    [("owner", "owner", True), ("owner", "viewer", True), ("admin", "admin", True), ("admin", "member", True),
     ("admin", "owner", False), ("member", "viewer", False), ("viewer", "viewer", False)],
)  # fmt: skip
def test_granting_a_role(actor: str, new_role: str, allowed: bool) -> None:
    if allowed:
        rules.check_grant(actor, new_role)
    else:
        with pytest.raises(Forbidden):
            rules.check_grant(actor, new_role)


def test_an_admin_never_changes_or_removes_an_owner_but_an_owner_does() -> None:
    with pytest.raises(Forbidden):
        rules.check_change("admin", "a", "owner", "o", "member")
    with pytest.raises(Forbidden):
        rules.check_remove("admin", "a", "owner", "o")
    rules.check_change("owner", "o1", "owner", "o2", "admin")
    rules.check_remove("owner", "o1", "owner", "o2")
    rules.check_remove("admin", "a", "member", "m")


def test_anyone_may_leave_or_step_down_but_not_step_up() -> None:
    rules.check_remove("viewer", "v", "viewer", "v")
    rules.check_change("owner", "o", "owner", "o", "member")
    rules.check_change("member", "m", "member", "m", "viewer")
    with pytest.raises(Forbidden):
        rules.check_change("member", "m", "member", "m", "admin")
    with pytest.raises(Forbidden):
        rules.check_remove("member", "m", "viewer", "v")


@pytest.mark.parametrize(
    ("old", "new", "loses", "delta"),
    [("owner", None, True, -1), ("owner", "admin", True, -1), ("owner", "owner", False, 0),
     ("admin", "owner", False, 1), ("member", None, False, 0), (None, "owner", False, 1)],
)  # fmt: skip
def test_which_changes_take_an_owner_away(old: str | None, new: str | None, loses: bool, delta: int) -> None:
    assert rules.loses_owner(old or "", new) is loses
    assert rules.owner_delta(old, new) == delta


def test_an_invite_token_is_random_and_only_its_sha256_is_kept() -> None:
    token, digest = rules.new_invite_token()
    other, _ = rules.new_invite_token()
    assert token != other and len(token) >= 40
    assert digest == hashlib.sha256(token.encode()).hexdigest() == rules.token_hash(token)
    assert token not in digest


def test_an_invite_lives_seven_days() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    until = rules.invite_valid_until(now)
    assert until - now == timedelta(days=7)
    assert rules.invite_live(until, until - timedelta(seconds=1))
    assert not rules.invite_live(until, until)


def test_emails_match_whatever_their_case() -> None:
    assert rules.same_email(" Ann@Example.com", "ann@example.com")
    assert not rules.same_email("ann@example.com", "bob@example.com")


def test_a_seat_is_left_while_the_count_is_under_the_limit_and_always_without_one() -> None:
    assert rules.seats_left(None, 1000)
    assert rules.seats_left(5, 4)
    assert not rules.seats_left(5, 5)
    assert not rules.seats_left(3, 4)  # a plan lowered under the seats held: none left
    assert not rules.seats_left(0, 0)


def test_seats_count_members_and_the_invites_not_expired() -> None:
    now = datetime(2026, 1, 10, tzinfo=UTC)
    pending = [now + timedelta(days=7), now + timedelta(seconds=1)]
    expired = [now, now - timedelta(days=1)]  # valid until now is no longer pending
    assert rules.count_seats(2, pending + expired, now) == 4
    assert rules.count_seats(3, expired, now) == 3
    assert rules.count_seats(1, [], now) == 1
    # GIVEN a Free team (3 seats) of one member and two invites, one of them expired
    # THEN one seat is left, and none once the expired one is replaced by a pending one
    assert rules.seats_left(3, rules.count_seats(1, [pending[0], expired[0]], now))
    assert not rules.seats_left(3, rules.count_seats(1, [pending[0], pending[1]], now))
