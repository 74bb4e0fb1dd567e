"""Identity's decisions over loaded values, without AWS: codes, sign-in, reset tokens, keys, addresses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from souk.errors import AccountNotVerified, AccountSuspended, MfaRequired, UnprocessableEntity
from souk.identity.jwt_tokens import verify_purpose_token
from souk.identity.models import Address, AddressBook, OneTimeCode, ResetToken, Session, User
from souk.identity.service import accounts, addresses, api_keys, recovery, sessions, user_admin

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


def _user(**values: object) -> User:
    fields = {"user_id": "U1", "email": "a@example.com", "name": "A", "role": "customer", "status": "active",
              "password_hash": "$argon2id$old"} | values  # fmt: skip
    return User(**fields)


def test_a_one_time_code_is_usable_until_it_expires_or_runs_out_of_attempts() -> None:
    def code(minutes_left: int, attempts: int) -> OneTimeCode:
        return OneTimeCode(code_hash="h", attempts=attempts, max_attempts=5,
                           valid_until=NOW + timedelta(minutes=minutes_left))  # fmt: skip

    assert accounts.code_usable(code(1, 4), NOW)
    assert not accounts.code_usable(code(0, 0), NOW)  # valid until now is expired now
    assert not accounts.code_usable(code(-1, 0), NOW)
    assert not accounts.code_usable(code(5, 5), NOW)


@pytest.mark.parametrize(
    ("values", "refused"),
    [
        ({"status": "suspended", "mfa_enabled": True}, AccountSuspended),
        ({"status": "pending_verification"}, AccountNotVerified),
        ({"status": "active", "mfa_enabled": True}, MfaRequired),
    ],
)
def test_sign_in_refusals_come_in_order(values: dict[str, object], refused: type[Exception]) -> None:
    assert type(accounts.sign_in_refusal(_user(**values))) is refused


def test_an_active_user_without_2fa_signs_in_and_one_with_2fa_gets_an_mfa_token_for_themselves() -> None:
    assert accounts.sign_in_refusal(_user(status="active", mfa_enabled=False)) is None
    refusal = accounts.sign_in_refusal(_user(user_id="U7", status="active", mfa_enabled=True))
    assert isinstance(refusal, MfaRequired)
    assert refusal.data is not None
    assert verify_purpose_token(refusal.data["mfaToken"], "mfa")["sub"] == "U7"


def test_a_reset_token_needs_time_left_an_active_account_and_the_password_it_was_issued_for() -> None:
    user = _user()
    stamp = recovery.password_stamp(user)
    token = ResetToken(user_id="U1", valid_until=NOW + timedelta(minutes=1), password_stamp=stamp)
    assert recovery.token_usable(token, user, NOW)
    assert not recovery.token_usable(token, user, NOW + timedelta(minutes=1))
    assert not recovery.token_usable(token, _user(status="suspended"), NOW)
    assert not recovery.token_usable(token, _user(password_hash="$argon2id$new"), NOW)


def test_a_new_password_must_differ_from_the_current_one_on_a_change_only() -> None:
    strong = "Another-Str0ng-Pass"
    assert recovery.new_password_problems(strong, "a@example.com") == []
    assert recovery.new_password_problems(strong, "a@example.com", current=strong) == [
        "Choose a password different from the current one."
    ]


def test_an_api_key_is_touched_when_never_used_or_not_for_five_minutes() -> None:
    assert api_keys.due_for_touch(None, NOW)
    assert not api_keys.due_for_touch(NOW - timedelta(minutes=4, seconds=59), NOW)
    assert api_keys.due_for_touch(NOW - api_keys.TOUCH_INTERVAL, NOW)


def test_the_address_book_holds_twenty_and_the_oldest_other_address_inherits_the_default() -> None:
    addresses.check_room(AddressBook(address_count=19))
    with pytest.raises(UnprocessableEntity):
        addresses.check_room(AddressBook(address_count=addresses.MAX_ADDRESSES))
    first, second = Address(address_id="A1"), Address(address_id="A2")
    assert addresses.successor_of("A1", [first, second]) == "A2"
    assert addresses.successor_of("A2", [first, second]) == "A1"
    assert addresses.successor_of("A1", [first]) is None


def test_only_the_fields_that_differ_are_changed() -> None:
    user = _user(name="Same", phone=None)
    assert user_admin.changed_fields(user, {"name": "Same", "phone": "+14155550123"}) == {"phone": "+14155550123"}
    assert user_admin.changed_fields(user, {"name": "Same", "phone": None}) == {}


def test_a_session_is_live_until_revoked_or_expired() -> None:
    def session(*, revoked: bool, minutes_left: int) -> Session:
        return Session(revoked=revoked, valid_until=NOW + timedelta(minutes=minutes_left))

    assert sessions.is_live(session(revoked=False, minutes_left=1), NOW)
    assert not sessions.is_live(session(revoked=True, minutes_left=1), NOW)
    assert not sessions.is_live(session(revoked=False, minutes_left=0), NOW)
