"""Sessions on the wire, and the two values a sign-in passes around: where the caller is, what it was issued."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import Field

from souk.identity.models import Session, User
from souk.identity.schemas.users import UserOut, user_out
from souk.schema import CamelModel


@dataclass(frozen=True)
class Client:
    """Where a request comes from, kept on the session for the sessions list."""

    ip: str | None = None
    user_agent: str | None = None

    @property
    def device(self) -> str:
        agent = (self.user_agent or "").lower()
        for needle, label in (("iphone", "iPhone"), ("ipad", "iPad"), ("android", "Android"), ("windows", "Windows"),
                              ("mac os", "macOS"), ("linux", "Linux"), ("curl", "curl")):  # fmt: skip
            if needle in agent:
                return label
        return "Unknown device"


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int
    session: Session


class TokenPair(CamelModel):
    access_token: str
    refresh_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")
    user: UserOut


def token_pair(issued: IssuedTokens, user: User) -> TokenPair:
    """The response body for any sign-in."""
    return TokenPair(access_token=issued.access_token, refresh_token=issued.refresh_token,
                     expires_in=issued.expires_in, user=user_out(user))  # fmt: skip


class RefreshRequest(CamelModel):
    refresh_token: str = Field(min_length=10, max_length=200)


class LoggedOut(CamelModel):
    logged_out: bool


class SessionOut(CamelModel):
    id: str
    device: str | None = None
    ip: str | None = None
    user_agent: str | None = None
    created_at: datetime
    last_used_at: datetime
    current: bool = Field(description="True for the session making this request.")


def session_out(session: Session, current_session_id: str | None) -> SessionOut:
    return SessionOut(id=session.session_id, device=session.device, ip=session.ip, user_agent=session.user_agent,
                      created_at=session.created_at, last_used_at=session.last_used_at,
                      current=session.session_id == current_session_id)  # fmt: skip


class SessionRevoked(CamelModel):
    id: str
    revoked: bool
