"""Sign-up and sign-in bodies (camelCase on the wire)."""

from __future__ import annotations

from typing import Literal

from pydantic import EmailStr, Field, field_validator

from souk.identity.passwords import MAX_LENGTH as PASSWORD_MAX_LENGTH
from souk.schema import CamelModel, OneLineText

SelfServiceRole = Literal["customer", "store_owner", "courier"]


class RegisterRequest(CamelModel):
    email: EmailStr = Field(max_length=254)
    password: str = Field(min_length=1, max_length=PASSWORD_MAX_LENGTH)
    name: OneLineText = Field(min_length=1, max_length=100)
    phone: str | None = Field(None, pattern=r"^\+[1-9]\d{6,14}$", description="E.164, e.g. +14155550123")
    role: SelfServiceRole = "customer"

    @field_validator("name")
    @classmethod
    def _strip(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("Name must not be blank.")
        return value.strip()


class VerifyRequest(CamelModel):
    email: EmailStr = Field(max_length=254)
    code: str = Field(pattern=r"^\d{6}$")


class LoginRequest(CamelModel):
    email: EmailStr = Field(max_length=254)
    password: str = Field(min_length=1, max_length=PASSWORD_MAX_LENGTH)


class EmailBody(CamelModel):
    email: EmailStr = Field(max_length=254)


class Accepted(CamelModel):
    # The answer of a request that may send an email: the same whether it did or not.
    message: str
