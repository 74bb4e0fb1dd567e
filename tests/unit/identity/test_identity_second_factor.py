"""Pure rules of 2FA and password recovery, without AWS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from pydantic import ValidationError

from souk.caller import Principal
from souk.errors import Forbidden
from souk.identity.models import User
from souk.identity.schemas.mfa import CodeRequest
from souk.identity.service import mfa, recovery
from souk.identity.service.sessions import require_session

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
AT = datetime(2030, 1, 1, 12, 0, 10, tzinfo=UTC)


def test_totp_step_accepts_one_step_either_side_and_no_further() -> None:
    # GIVEN the codes of five consecutive steps around AT (all distinct for this secret and time)
    totp = pyotp.TOTP(SECRET)
    current = totp.timecode(AT)
    codes = {offset: totp.generate_otp(current + offset) for offset in (-2, -1, 0, 1, 2)}
    assert len(set(codes.values())) == 5
    # THEN the window is exactly [-1, +1] and the matched step is reported
    for offset, code in codes.items():
        expected = current + offset if abs(offset) <= mfa.TOTP_WINDOW else None
        assert mfa.totp_step(SECRET, code, at=AT) == expected


def test_totp_step_refuses_a_code_of_another_secret() -> None:
    code = pyotp.TOTP("KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU").at(AT)
    assert code not in {pyotp.TOTP(SECRET).at(AT + timedelta(seconds=s)) for s in (-30, 0, 30)}
    assert mfa.totp_step(SECRET, code, at=AT) is None


@pytest.mark.parametrize(
    ("typed", "kept"), [("123 456", "123456"), ("ABCDE-FGHJK", "abcdefghjk"), (" abcde fghjk ", "abcdefghjk")]
)
def test_codes_are_read_as_people_type_them(typed: str, kept: str) -> None:
    assert CodeRequest(code=typed).code == kept


@pytest.mark.parametrize("typed", ["12345", "1234567", "abcde-fghj", "12-34-56-7!", "abcdefghjkm"])
def test_code_shape_is_checked(typed: str) -> None:
    with pytest.raises(ValidationError):
        CodeRequest(code=typed)


def test_backup_code_hashes_are_per_user_and_ignore_formatting() -> None:
    assert mfa.backup_hash("U1", "abcde-fghjk") == mfa.backup_hash("U1", "ABCDEFGHJK")
    assert mfa.backup_hash("U1", "abcde-fghjk") != mfa.backup_hash("U2", "abcde-fghjk")
    assert "abcdefghjk" not in mfa.backup_hash("U1", "abcde-fghjk")


def test_security_settings_refuse_api_keys() -> None:
    # GIVEN a caller authenticated by an API key (no session)
    by_key = Principal(user_id="U1", role="customer", session_id=None, api_key_id="K1")
    # THEN password and 2FA changes are refused, while a session passes
    with pytest.raises(Forbidden):
        require_session(by_key)
    assert require_session(Principal(user_id="U1", role="customer", session_id="S1")) == "S1"


def test_password_stamp_changes_with_the_password() -> None:
    user = User(user_id="U1", password_hash="$argon2id$one")
    before = recovery.password_stamp(user)
    user.password_hash = "$argon2id$two"
    assert recovery.password_stamp(user) != before
    assert "argon2" not in before
