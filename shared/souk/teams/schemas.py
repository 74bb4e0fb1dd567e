"""What clients send and see of teams, members and invites (camelCase)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import unquote

from pydantic import EmailStr, Field, TypeAdapter, ValidationError

from souk.errors import ValidationFailed
from souk.schema import CamelModel, one_line_text
from souk.teams.models import Invite, Membership, Team

TeamName = one_line_text(100)
TeamRoleIn = Literal["owner", "admin", "member", "viewer"]


class TeamIn(CamelModel):
    name: TeamName  # type: ignore[valid-type]


class TeamOut(CamelModel):
    id: str
    name: str
    role: str = Field(description="The caller's role in the team.")
    members: int


class MemberIn(CamelModel):
    user_id: str = Field(min_length=1, max_length=64)
    role: TeamRoleIn


class MemberRoleIn(CamelModel):
    role: TeamRoleIn


class MemberOut(CamelModel):
    user_id: str
    name: str
    email: str
    role: str


class InviteIn(CamelModel):
    email: EmailStr = Field(max_length=254)
    role: TeamRoleIn


# An invite's email in a path: at most 254 characters once decoded (3 per character percent-encoded).
INVITE_EMAIL_PATH_MAX = 254 * 3
_INVITE_EMAIL: TypeAdapter[str] = TypeAdapter(Annotated[EmailStr, Field(max_length=254)])


def invite_email(raw: str) -> str:
    """The email of an invite as a path gives it (percent-decoded once, as UTF-8: API Gateway hands it over decoded,
    a local runner as sent), normalised as :class:`InviteIn` stores it; not an email: 400."""
    try:
        return str(_INVITE_EMAIL.validate_python(unquote(raw, errors="strict"))).lower()
    except (ValidationError, UnicodeDecodeError):
        raise ValidationFailed.field("email", "Not a valid email address.") from None


class InviteOut(CamelModel):
    id: str
    email: str
    role: str
    expires_at: datetime


class DeletedOut(CamelModel):
    id: str
    deleted: bool = True


def team_out(team: Team, role: str) -> TeamOut:
    return TeamOut(id=team.team_id, name=team.name, role=role, members=int(team.members or 0))


def member_out(member: Membership) -> MemberOut:
    return MemberOut(user_id=member.user_id, name=member.name, email=member.email, role=member.role)


def invite_out(invite: Invite) -> InviteOut:
    return InviteOut(id=invite.invite_id, email=invite.email, role=invite.role, expires_at=invite.valid_until)
