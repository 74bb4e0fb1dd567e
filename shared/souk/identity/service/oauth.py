"""Sign-in with Google and GitHub: OAuth 2.0 authorization code flow with state and PKCE (S256).

1. ``authorize`` stores a random state and PKCE verifier for ten minutes (an OAuthState,
   single use) and answers the provider's authorize URL carrying the state and the
   verifier's S256 challenge.
2. The provider sends the browser back to the redirect URI with ``code`` and ``state``. By
   default that is our callback route. A web or mobile client may name its own page
   instead (``redirectUri``, matched exactly against ``OAUTH_REDIRECT_URIS``: a prefix match
   would be an open redirect) which relays code and state to the callback route.
3. ``callback`` consumes the state (a conditional delete: exactly once), exchanges the code
   with the verifier and the same redirect URI, reads the user info, then signs in:

   - a known provider identity (OAuthIdentity) signs in its user;
   - else an account with the email the provider has *verified* is linked to it. A pending
     (never verified) account is activated and its password dropped: whoever registered it
     never proved they own the address, and must not keep a way in (pre-hijacking);
   - else a new active customer without a password is created with the link, in one
     transaction with its email claim.

   An email the provider has not verified is never trusted: nothing is linked or created,
   and the answer is 422 UNPROCESSABLE_ENTITY saying so (the state is spent all the same).
   A user with 2FA on gets 401 MFA_REQUIRED with an ``mfaToken``, exactly like a password
   sign-in: a provider account must not be a way around the second factor.

Provider calls use urllib (no SDK) with the ``OAUTH_HTTP_TIMEOUT`` timeout; any provider
failure is 502 UPSTREAM_ERROR.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from souk.audit import service as audit
from souk.db.transactions import TransactionCancelled
from souk.errors import (
    AccountSuspended,
    Conflict,
    DuplicateEntry,
    NotFound,
    ServiceUnavailable,
    UnprocessableEntity,
    UpstreamError,
    ValidationFailed,
)
from souk.identity.service import accounts
from souk.identity.service.sessions import start_session
from souk.identity.service.users import find_user_by_email, get_user
from souk.identity.store import oauth as store
from souk.identity.store import users as user_store
from souk.observability import logger
from souk.secrets import oauth_client
from souk.settings import get_settings

if TYPE_CHECKING:
    from souk.identity.models import OAuthState, User
    from souk.identity.schemas.sessions import Client, IssuedTokens

STATE_MINUTES = 10
MAX_RESPONSE_BYTES = 1_048_576
_BAD_STATE = ValidationFailed.field("state", "The sign-in link is invalid, expired or already used; start again.")


@dataclass(frozen=True)
class Provider:
    """One provider's endpoints and client, from the settings."""

    name: str
    label: str
    client_id: str
    client_secret: str
    authorize_url: str
    token_url: str
    userinfo_url: str
    scope: str
    emails_url: str | None = None


@dataclass(frozen=True)
class Profile:
    """Who the provider says the user is."""

    subject: str
    email: str | None
    email_verified: bool
    name: str


def provider(name: str) -> Provider:
    """The configured provider; 404 for an unknown one, 503 for a known one left unconfigured."""
    settings = get_settings()
    if name not in ("google", "github"):
        raise NotFound("No such sign-in provider.")
    client = oauth_client(name)
    label = {"google": "Google", "github": "GitHub"}[name]
    if client is None:
        raise ServiceUnavailable(f"Sign-in with {label} is not configured.")
    if name == "google":
        return Provider(name, label, *client, settings.oauth_google_authorize_url, settings.oauth_google_token_url,
                        settings.oauth_google_userinfo_url, "openid email profile")  # fmt: skip
    return Provider(name, label, *client, settings.oauth_github_authorize_url, settings.oauth_github_token_url,
                    settings.oauth_github_userinfo_url, "read:user user:email",
                    emails_url=settings.oauth_github_emails_url)  # fmt: skip


def callback_url(base_url: str, name: str) -> str:
    return f"{base_url}/api/v1/auth/oauth/{name}/callback"


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _allowed_redirects() -> frozenset[str]:
    return frozenset(uri.strip() for uri in get_settings().oauth_redirect_uris.split(",") if uri.strip())


def authorize(name: str, *, base_url: str, redirect_uri: str | None = None) -> str:
    """Store a fresh state and PKCE verifier; the provider URL to send the browser to.

    Parameters
    ----------
    name
        ``google`` or ``github``.
    base_url
        The API's public base URL, for the default redirect URI (our callback route).
    redirect_uri
        A client page to return to instead; must be in ``OAUTH_REDIRECT_URIS`` exactly.
    """
    config = provider(name)
    if redirect_uri is not None and redirect_uri not in _allowed_redirects():
        raise ValidationFailed.field("redirectUri", "This redirect URI is not allowed.")
    target = redirect_uri or callback_url(base_url, name)
    state = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)  # 86 characters of [A-Za-z0-9_-], within RFC 7636's 43-128
    valid_until = datetime.now(UTC) + timedelta(minutes=STATE_MINUTES)
    store.save_state(state, provider=name, verifier=verifier, redirect_uri=target, valid_until=valid_until)
    query = {"response_type": "code", "client_id": config.client_id, "redirect_uri": target, "scope": config.scope,
             "state": state, "code_challenge": _challenge(verifier), "code_challenge_method": "S256"}  # fmt: skip
    if name == "google":
        query["prompt"] = "select_account"
    return f"{config.authorize_url}?{urlencode(query)}"


def _consume_state(name: str, state: str) -> OAuthState:
    """The stored state, deleted on the way: a second use (even a concurrent one) is refused."""
    item = store.take_state(state)
    if item is None or item.provider != name or item.valid_until <= datetime.now(UTC):
        raise _BAD_STATE
    return item


# --------------------------------------------------------------------------- provider calls


def _call(config: Provider, url: str, *, form: dict[str, str] | None = None, token: str | None = None) -> Any:
    """One JSON call to the provider; any failure (status, network, timeout, body) is 502."""
    if not url.startswith(("https://", "http://")):
        raise UpstreamError(f"{config.label} is misconfigured.")
    headers = {"Accept": "application/json", "User-Agent": "souk-oauth"}
    data = None
    if form is not None:
        data = urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    method = "POST" if form is not None else "GET"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310 - scheme checked
    try:
        # The scheme is checked above: urllib would otherwise open file: URLs too.
        with urllib.request.urlopen(request, timeout=get_settings().oauth_http_timeout) as response:  # noqa: S310
            return json.loads(response.read(MAX_RESPONSE_BYTES))
    except urllib.error.HTTPError as error:
        extra = {"provider": config.name, "url": url, "status": error.code, "error": _error_of(error)}
        logger.warning("oauth provider refused a call", extra=extra)
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as error:
        logger.warning("oauth provider unreachable or unreadable",
                       extra={"provider": config.name, "url": url, "error_type": type(error).__name__})  # fmt: skip
    raise UpstreamError(f"{config.label} did not complete the sign-in; start again.")


def _error_of(error: urllib.error.HTTPError) -> str | None:
    """The OAuth ``error`` code of a refusal, for the log (never the whole body: it may echo secrets)."""
    try:
        body = json.loads(error.read(4096))
    except (ValueError, OSError):
        return None
    return str(body.get("error"))[:100] if isinstance(body, dict) and body.get("error") else None


def _exchange(config: Provider, code: str, state: OAuthState) -> str:
    """The provider's access token for ``code``, proving with the PKCE verifier it was us who asked."""
    answer = _call(config, config.token_url, form={
        "grant_type": "authorization_code", "code": code, "redirect_uri": state.redirect_uri,
        "client_id": config.client_id, "client_secret": config.client_secret, "code_verifier": state.code_verifier,
    })  # fmt: skip
    # GitHub answers some refusals with 200 and an ``error`` field.
    token = answer.get("access_token") if isinstance(answer, dict) else None
    if not isinstance(token, str) or not token:
        logger.warning("oauth token exchange refused", extra={"provider": config.name,
                       "error": str(answer.get("error"))[:100] if isinstance(answer, dict) else None})  # fmt: skip
        raise UpstreamError(f"{config.label} did not complete the sign-in; start again.")
    return token


def _profile(config: Provider, token: str) -> Profile:
    info = _call(config, config.userinfo_url, token=token)
    if not isinstance(info, dict):
        raise UpstreamError(f"{config.label} sent an unreadable profile.")
    if config.name == "google":  # OpenID Connect userinfo
        subject, email, verified = info.get("sub"), info.get("email"), info.get("email_verified") is True
        name = info.get("name")
    else:  # GitHub: the primary email and whether it is verified come from /user/emails
        subject, name = info.get("id"), info.get("name") or info.get("login")
        emails = _call(config, config.emails_url or "", token=token)
        primary = next((e for e in emails if isinstance(e, dict) and e.get("primary")), None) \
            if isinstance(emails, list) else None  # fmt: skip
        email = primary.get("email") if primary else None
        verified = bool(primary and primary.get("verified") is True)
    if subject in (None, ""):
        raise UpstreamError(f"{config.label} sent a profile without an id.")
    email = user_store.normalize_email(email) if isinstance(email, str) and "@" in email else None
    display = name if isinstance(name, str) and name.strip() else (email or "").split("@")[0] or config.label
    return Profile(subject=str(subject), email=email, email_verified=verified and email is not None,
                   name=display.strip()[:100])  # fmt: skip


# --------------------------------------------------------------------------- accounts


def _linked_user(name: str, subject: str) -> User | None:
    user_id = store.linked_user_id(name, subject)
    if user_id is None:
        return None
    try:
        return get_user(user_id, consistent=True)
    except NotFound:  # a link to a deleted account (replaced if we create one)
        return None


def _link(name: str, profile: Profile, user: User, actor: audit.Actor) -> User:
    """Link an existing account that has the provider-verified email (activating a pending one)."""
    if user.status == "suspended":
        raise AccountSuspended()
    link = store.new_link(name, profile.subject, profile.email, user.user_id)
    record = audit.build_record(actor, "user.oauth_link", "user", user.user_id, before={"status": user.status},
                                after={"status": "active", "provider": name, "subject": profile.subject})  # fmt: skip
    try:
        store.link(link, user, record)
    except TransactionCancelled as cancelled:
        if "link" in cancelled.reasons:  # linked by a concurrent callback: that link decides
            linked = _linked_user(name, profile.subject)
            if linked is not None:
                return linked
        raise Conflict("The account changed at the same time; start again.") from None
    if user.status == "pending_verification":
        user.status, user.password_hash = "active", None
    return user


def _create(name: str, profile: Profile, client: Client) -> User:
    """A new active customer without a password, with its link and email claim, in one transaction."""
    assert profile.email is not None
    user = user_store.new_user(email=profile.email, name=profile.name, role="customer", status="active")
    actor = accounts.client_actor(user, client)
    link_audit = audit.build_record(actor, "user.oauth_link", "user", user.user_id,
                                    after={"provider": name, "subject": profile.subject})  # fmt: skip
    link = store.new_link(name, profile.subject, profile.email, user.user_id)
    accounts.create_account(user, actor, extra=[link, link_audit])
    return user


def _account_for(config: Provider, profile: Profile, client: Client) -> User:
    """The linked account, else the one with the verified email (linked now), else a new one."""
    user = _linked_user(config.name, profile.subject)
    if user is not None:
        return user
    if profile.email is None or not profile.email_verified:
        raise UnprocessableEntity(f"Your {config.label} account has no verified email address; verify one "
                                  f"at {config.label}, or register with a password.")  # fmt: skip
    existing = find_user_by_email(profile.email)
    if existing is not None:
        return _link(config.name, profile, existing, accounts.client_actor(existing, client))
    try:
        return _create(config.name, profile, client)
    except DuplicateEntry:
        # The email was claimed meanwhile (a concurrent callback, or a registration): link to it.
        existing = find_user_by_email(profile.email)
        if existing is None:
            raise
        return _link(config.name, profile, existing, accounts.client_actor(existing, client))


def callback(
    name: str, *, code: str | None, state: str, error: str | None, client: Client
) -> tuple[User, IssuedTokens]:
    """Finish a provider sign-in: the user and a new session.

    Raises
    ------
    NotFound
        Unknown provider.
    ValidationFailed
        Missing, unknown, expired or used state; the provider refused consent; no code.
    UpstreamError
        The provider refused the code (a wrong PKCE verifier included) or failed.
    UnprocessableEntity
        The provider has no verified email for the user.
    AccountSuspended, MfaRequired
        As for a password sign-in.
    """
    config = provider(name)
    stored = _consume_state(name, state)
    if error is not None:
        raise ValidationFailed.field("error", f"{config.label} did not sign you in ({error[:60]}); start again.")
    if not code:
        raise ValidationFailed.field("code", "Field required")
    profile = _profile(config, _exchange(config, code, stored))
    user = _account_for(config, profile, client)
    refusal = accounts.sign_in_refusal(user)
    if refusal is not None:
        raise refusal
    return user, start_session(user, client)
