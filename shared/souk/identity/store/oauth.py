"""OAuth in the table: the single-use state of a sign-in in flight, and the links of provider
identities to users (``OAUTHID#<provider>#<subject>``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from pynamodb.exceptions import DeleteError, DoesNotExist

from souk.db import expiry
from souk.db.transactions import WriteTransaction
from souk.identity import keys
from souk.identity.models import OAuthIdentity, OAuthState, User

if TYPE_CHECKING:
    from souk.audit.models import AuditRecord


def save_state(state: str, *, provider: str, verifier: str, redirect_uri: str, valid_until: datetime) -> None:
    """Store a fresh state with its PKCE verifier (conditional on the state being new)."""
    OAuthState(
        pk=keys.oauth_state(state),
        sk=keys.oauth_state(state),
        **expiry.index_keys(valid_until, keys.oauth_state(state)),
        provider=provider,
        code_verifier=verifier,
        redirect_uri=redirect_uri,
        valid_until=valid_until,
        expires_at=valid_until + timedelta(hours=1),
    ).save(OAuthState.pk.does_not_exist())


def take_state(state: str) -> OAuthState | None:
    """The stored state, deleted on the way; None when there is none or a concurrent callback
    spent it first (a conditional delete: exactly one use)."""
    try:
        item = OAuthState.get(keys.oauth_state(state), keys.oauth_state(state), consistent_read=True)
        item.delete(condition=OAuthState.pk.exists())
    except DoesNotExist:
        return None
    except DeleteError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":  # spent by a concurrent callback
            return None
        raise
    return item


def linked_user_id(provider: str, subject: str) -> str | None:
    """The user a provider identity is linked to; None when it is linked to none."""
    try:
        return OAuthIdentity.get(keys.oauth_identity(provider, subject), keys.oauth_identity(provider, subject)).user_id
    except DoesNotExist:
        return None


def new_link(provider: str, subject: str, email: str | None, user_id: str) -> OAuthIdentity:
    """The link item of a provider identity to a user (not saved)."""
    pk = keys.oauth_identity(provider, subject)
    return OAuthIdentity(pk=pk, sk=pk, user_id=user_id, provider=provider, subject=subject, email=email)


def link(identity: OAuthIdentity, user: User, record: AuditRecord) -> None:
    """Save a new link to an existing user, activating a pending one (and dropping its password),
    else checking its status is still the one read.

    Labels: ``link`` (linked meanwhile, by a concurrent callback), ``user`` (the account changed).
    """
    with WriteTransaction() as tx:
        tx.put(identity, OAuthIdentity.pk.does_not_exist(), label="link")
        if user.status == "pending_verification":
            tx.update(user, [User.status.set("active"), User.password_hash.remove(),
                             User.updated_at.set(datetime.now(UTC))],
                      User.status == "pending_verification", label="user")  # fmt: skip
        else:
            tx.check(User, user.pk, user.sk, User.status == user.status, label="user")
        tx.put(record, label=f"audit:{record.action}")
