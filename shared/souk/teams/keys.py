"""Teams: the key values of its items (pk, sk and GSI keys), one function per key.

Beside :mod:`souk.teams.models`; ``docs/access-patterns.md`` lists the access patterns.

| pattern | key |
|---|---|
| a team | pk TEAM#<id>, sk TEAM |
| a team's members (one Query) | pk TEAM#<id>, sk begins_with MEMBER# |
| a user's teams (one Query, then one BatchGet of the teams) | gsi1 USER_TEAMS#<userId> / TEAM#<teamId> |
| the pending invite of (team, email): one at most | pk TEAM#<id>, sk INVITE#<email> |
| a team's pending invites (one Query page; expired ones filtered out) | pk TEAM#<id>, sk begins_with INVITE# |
| an invite by its token (the sha256 only) | gsi1 INVITE_TOKEN#<sha256> / INVITE |
"""

from __future__ import annotations

from souk.db.keys import join

TEAM_SK = "TEAM"
MEMBER_PREFIX = "MEMBER#"
INVITE_PREFIX = "INVITE#"


def team(team_id: str) -> str:
    return join("TEAM", team_id)


def member(user_id: str) -> str:
    return join("MEMBER", user_id)


def user_teams(user_id: str) -> str:
    return join("USER_TEAMS", user_id)


def invite(email: str) -> str:
    """The (team, email) key: a second pending invite for the same email is the same item."""
    return join("INVITE", email.lower())


def invite_token(token_hash: str) -> str:
    return join("INVITE_TOKEN", token_hash)
