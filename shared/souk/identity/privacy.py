"""Identity's privacy hook (souk.privacy): the profile, settings, addresses, API keys and sessions.

ORDER is last: by then every other domain is done, and this anonymises the user item (name, email,
phone, avatar, bio replaced or removed; password, 2FA secrets and backup codes cleared; the name and
email indexes left), frees the email claim (the address can sign up again) and sets ``deleted``:
sign-in finds no account. The item itself stays, as the soft delete keeps it: orders and the audit
log name its id.

Erase phases: ``own`` (the user's partition: addresses, address book, settings, API key ring,
one-time codes; deleted a page at a time), ``sessions`` (every live session deleted: its ip and user
agent with it), ``profile`` (the anonymisation, one transaction). API keys were revoked by the
request; their items (hash, name, prefix) stay without an owner's personal data.
"""

from __future__ import annotations

from typing import Any

from souk.db import personal
from souk.db.base import SoukItem, utc_now
from souk.db.transactions import WriteTransaction
from souk.identity import keys
from souk.identity.models import ApiKey, EmailClaim, Session, User
from souk.identity.store.users import load_user

ORDER = 1000
_OWN = ("ADDRESS#", keys.ADDRESS_BOOK, keys.SETTINGS, keys.API_KEY_RING, "CODE#")
_SECRETS = ("passwordHash", "totpSecret", "totpPendingSecret", "backupCodeHashes", "totpLastStep")


def end_sessions(user_id: str) -> int:
    """Delete every live session of the user (the index holds live ones only): a deleted session is a dead
    one for every request (its GetItem finds nothing), and its ip and user agent go with it."""
    ended = 0
    while True:
        found = list(Session.gsi1.query(keys.user_sessions(user_id), limit=personal.PAGE))
        personal.delete(found)  # type: ignore[arg-type]
        ended += len(found)
        if len(found) < personal.PAGE:
            return ended


def export(user_id: str, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    phase, last_key = personal.position(cursor)
    if phase is None:  # the profile, then the user's partition
        user = load_user(user_id, consistent=True)
        rows = [personal.row("profile", user, drop=_SECRETS)] if user is not None else []
        return rows, personal.cursor("own", None)
    if phase == "own":
        items, last_key = personal.page(SoukItem.query(keys.user(user_id), page_size=personal.PAGE,
                                                       last_evaluated_key=last_key))  # fmt: skip
        rows = [personal.row(_kind(i), i) for i in items if i.sk.startswith(_OWN)]
        return rows, personal.cursor("own", last_key) if last_key else personal.cursor("keys", None)
    if phase == "keys":
        found = list(ApiKey.gsi1.query(keys.user_api_keys(user_id)))  # at most 10 active keys
        return [personal.row("api_key", k) for k in found], personal.cursor("sessions", None)
    items, last_key = personal.page(Session.gsi1.query(keys.user_sessions(user_id), page_size=personal.PAGE,
                                                       last_evaluated_key=last_key))  # fmt: skip
    rows = [personal.row("session", s, drop=("refreshHash",)) for s in items]
    return rows, personal.cursor("sessions", last_key) if last_key else None


def _kind(item: SoukItem) -> str:
    return {"Address": "address", "AddressBook": "address_book", "UserSettings": "settings",
            "ApiKeyRing": "api_key_ring", "OneTimeCode": "one_time_code",
            }.get(type(item).__name__, "identity")  # fmt: skip


def erase(user_id: str, cursor: str | None) -> str | None:
    phase, last_key = personal.position(cursor)
    if phase in (None, "own"):
        items, last_key = personal.page(SoukItem.query(keys.user(user_id), page_size=personal.PAGE,
                                                       last_evaluated_key=last_key))  # fmt: skip
        personal.delete([i for i in items if i.sk.startswith(_OWN)])
        return personal.cursor("own", last_key) if last_key else personal.cursor("sessions", None)
    if phase == "sessions":
        end_sessions(user_id)
        return personal.cursor("profile", None)
    _anonymise(user_id)
    end_sessions(user_id)  # a sign-in that raced the request got in before ``deleting``: none survives
    return None


def _anonymise(user_id: str) -> None:
    """The user item anonymised and ``deleted``, the email claim freed, in one transaction (once: a second
    run finds the anonymous email and changes nothing)."""
    user = load_user(user_id, consistent=True)
    if user is None or user.email == personal.anonymous_email(user_id):
        return
    now = utc_now()
    actions = [
        User.name.set(personal.ANONYMOUS_NAME), User.email.set(personal.anonymous_email(user_id)),
        User.status.set("deleted"),
        User.deleted_at.set(user.deleted_at or now), User.updated_at.set(now),
        User.phone.remove(), User.password_hash.remove(), User.mfa_enabled.set(False), User.totp_secret.remove(),
        User.totp_pending_secret.remove(), User.backup_code_hashes.remove(), User.avatar_upload_id.remove(),
        User.bio.remove(), User.timezone.remove(), User.language.remove(),
        User.gsi3pk.remove(), User.gsi3sk.remove(), User.gsi4pk.remove(), User.gsi4sk.remove(),
    ]  # fmt: skip
    claim = EmailClaim(pk=keys.email(user.email), sk=keys.email(user.email))
    with WriteTransaction() as tx:
        tx.update(user, actions, User.email == user.email, label="user", add_version_condition=False)
        # Only our own claim: an address released before (an admin's delete) may be someone else's now.
        tx.delete(claim, EmailClaim.pk.does_not_exist() | (EmailClaim.user_id == user_id), label="email")
