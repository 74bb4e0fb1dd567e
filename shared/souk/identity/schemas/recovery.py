"""Password reset and change bodies (camelCase on the wire)."""

from __future__ import annotations

from pydantic import Field

from souk.identity.passwords import MAX_LENGTH as PASSWORD_MAX_LENGTH
from souk.schema import CamelModel


class ResetPasswordRequest(CamelModel):
    token: str = Field(min_length=1, max_length=200, description="From the reset email (link or code).")
    new_password: str = Field(min_length=1, max_length=PASSWORD_MAX_LENGTH)


class ChangePasswordRequest(CamelModel):
    current_password: str = Field(min_length=1, max_length=PASSWORD_MAX_LENGTH)
    new_password: str = Field(min_length=1, max_length=PASSWORD_MAX_LENGTH)


class PasswordChanged(CamelModel):
    password_changed: bool = True
    sessions_revoked: int = Field(description="Sessions signed out by the change.")
