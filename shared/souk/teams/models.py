"""Team entities in the single table. Keys come from :mod:`souk.teams.keys` only.

| entity | pk | sk | GSIs |
|---|---|---|---|
| Team | TEAM#<id> | TEAM | |
| Membership | TEAM#<id> | MEMBER#<userId> | gsi1 USER_TEAMS#<userId> / TEAM#<id> |
| Invite | TEAM#<id> | INVITE#<email> | gsi1 INVITE_TOKEN#<sha256 of the token> / INVITE |

Deleting a team tombstones its item (``deletedAt`` and a ``ttl``) in the audited transaction; every
read treats a tombstoned team as gone (404), then its memberships and invites are swept
(:func:`souk.teams.store.teams.sweep`).

The team item counts its members and its owners: every write that adds, removes or re-roles a
member updates them in the same transaction, and a change that takes an owner away is
conditional on ``owners > 1`` there (the team always keeps an owner, whoever races).

It also counts its ``seats``: members and pending invites, never fewer than there are (see
:mod:`souk.teams.store.teams`). A new invite or a member added takes a seat by ADDing 1 in its
transaction on the condition ``seats < limit`` (the plan's), so two racing for the last seat cannot
both have it; accepting turns the invite's seat into the member's (unchanged); removing a member and
revoking an invite give it back. An expired invite's seat comes back at the next recount.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from souk.db.base import SoukItem


class Team(SoukItem, discriminator="Team"):
    team_id = UnicodeAttribute(attr_name="teamId")
    name = UnicodeAttribute()
    created_by = UnicodeAttribute(attr_name="createdBy")
    members = NumberAttribute(default=0)
    owners = NumberAttribute(default=0)
    seats = NumberAttribute(null=True)  # members + pending invites (an upper bound); None: not counted yet
    # + 1 by every write that moves members or seats: a recount is conditional on it being as read
    seat_version = NumberAttribute(null=True, attr_name="seatVersion")
    deleted_at = UTCDateTimeAttribute(null=True, attr_name="deletedAt")  # a tombstone: the team is gone


class Membership(SoukItem, discriminator="Membership"):
    team_id = UnicodeAttribute(attr_name="teamId")
    user_id = UnicodeAttribute(attr_name="userId")
    role = UnicodeAttribute()  # owner | admin | member | viewer
    name = UnicodeAttribute()  # the user's, as it was when they joined
    email = UnicodeAttribute()


class Invite(SoukItem, discriminator="Invite"):
    """A pending invite; the token itself is never stored, only its sha256 (in gsi1pk and ``token_hash``)."""

    invite_id = UnicodeAttribute(attr_name="inviteId")
    team_id = UnicodeAttribute(attr_name="teamId")
    email = UnicodeAttribute()
    role = UnicodeAttribute()
    token_hash = UnicodeAttribute(attr_name="tokenHash")
    invited_by = UnicodeAttribute(attr_name="invitedBy")
    valid_until = UTCDateTimeAttribute(attr_name="validUntil")
