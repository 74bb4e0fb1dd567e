"""Two-factor bodies (camelCase on the wire) and the shapes of the codes people type."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from souk.schema import CamelModel

BACKUP_LENGTH = 10
TOTP_CODE = re.compile(r"^\d{6}$")
BACKUP_CODE = re.compile(rf"^[a-z0-9]{{{BACKUP_LENGTH}}}$")


def normalize_code(code: str) -> str:
    """Codes as people type them: spaces and dashes dropped, case ignored."""
    return re.sub(r"[\s-]", "", code).lower()


class TotpCodeRequest(CamelModel):
    code: str = Field(pattern=r"^\d{6}$", description="The 6-digit code shown by the authenticator app.")


class CodeRequest(CamelModel):
    code: str = Field(min_length=6, max_length=24, description="A 6-digit app code or a backup code (xxxxx-xxxxx).")

    @field_validator("code")
    @classmethod
    def _shape(cls, value: str) -> str:
        value = normalize_code(value)
        if not (TOTP_CODE.match(value) or BACKUP_CODE.match(value)):
            raise ValueError("Enter the 6-digit code from your app or one of your backup codes.")
        return value


class MfaLoginRequest(CodeRequest):
    mfa_token: str = Field(min_length=20, max_length=2048, description="From the 401 MFA_REQUIRED of /auth/login.")


class TotpSetup(CamelModel):
    secret: str = Field(description="Base32 secret, for apps that cannot scan the otpauth URL.")
    otpauth_url: str = Field(description="otpauth://totp/... URI to show as a QR code.")


class BackupCodes(CamelModel):
    backup_codes: list[str] = Field(description="Shown once: each one signs in once instead of a TOTP code.")


class MfaState(CamelModel):
    mfa_enabled: bool
