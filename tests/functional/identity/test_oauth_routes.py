"""Sign-in with Google and GitHub against a fake provider: state, PKCE, linking and creation.

Choice documented here and in souk.identity.service.oauth: when the provider has not verified the
email, nothing is linked and nothing is created; the answer is 422 UNPROCESSABLE_ENTITY.
"""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from souk.db import expiry
from souk.db import keys as db_keys
from souk.identity import keys as identity_keys
from souk.identity.models import OAuthIdentity, OAuthState, User
from tests.factories import PASSWORD, create_user
from tests.fake_oauth import CLIENTS, FakeProvider
from tests.support import ApiClient, assert_error

HOST = "api.souk.test"
CALLBACK = "http://api.souk.test/api/v1/auth/oauth/{provider}/callback"
APP_PAGE = "https://app.souk.test/oauth/done"


@pytest.fixture
def provider(aws_resources: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeProvider]:
    """A fake Google/GitHub on a free local port, with Souk's settings pointing at it."""
    from souk.settings import get_settings

    fake = FakeProvider().start()
    for name, value in {**fake.environment(), "OAUTH_REDIRECT_URIS": f"{APP_PAGE}, https://other.souk.test/x"}.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        yield fake
    finally:
        fake.stop()
        get_settings.cache_clear()


def _authorize(api: ApiClient, name: str = "google", query: str = ""):
    return api.get(f"/api/v1/auth/oauth/{name}/authorize{query}", headers={"Host": HOST, "User-Agent": "pytest"})


def _params(url: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}


def _consent(location: str, **tamper: str) -> str:
    """Follow our redirect to the fake provider (the user consents); where it sends the browser back."""
    parts = urlsplit(location)
    query = {**_params(location), **tamper}
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    try:
        connection.request("GET", f"{parts.path}?{urlencode(query)}")
        response = connection.getresponse()
        response.read()
        assert response.status == 302, response.status
        return str(response.getheader("Location"))
    finally:
        connection.close()


def _callback(api: ApiClient, name: str, back: str):
    """The browser (or the client page relaying it) calls our callback with code and state."""
    return api.get(f"/api/v1/auth/oauth/{name}/callback?{urlsplit(back).query}", headers={"User-Agent": "pytest"})


def _sign_in(api: ApiClient, name: str = "google"):
    start = _authorize(api, name)
    assert start.status == 302, start.body
    return _callback(api, name, _consent(start.headers["Location"]))


def _link(name: str, subject: str) -> OAuthIdentity | None:
    try:
        return OAuthIdentity.get(
            identity_keys.oauth_identity(name, subject), identity_keys.oauth_identity(name, subject)
        )
    except OAuthIdentity.DoesNotExist:
        return None


# --- authorize
def test_authorize_redirects_to_the_provider_with_state_and_pkce(api: ApiClient, provider: FakeProvider) -> None:
    # WHEN
    response = _authorize(api)
    # THEN a redirect to the provider's authorize URL with our client, callback, scope, state and S256 challenge
    assert response.status == 302, response.body
    assert response.headers["Cache-Control"] == "no-store"
    location = response.headers["Location"]
    assert location.startswith(f"{provider.base_url}/google/authorize?")
    params = _params(location)
    assert params["client_id"] == CLIENTS["google"][0]
    assert params["redirect_uri"] == CALLBACK.format(provider="google")
    assert params["response_type"] == "code" and "email" in params["scope"].split()
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
    # AND the state is stored with its verifier for ten minutes, in the expiry index for the cleanup job
    state = OAuthState.get(identity_keys.oauth_state(params["state"]), identity_keys.oauth_state(params["state"]))
    assert state.provider == "google" and params["code_challenge"] not in state.code_verifier
    assert timedelta(minutes=9) < state.valid_until - datetime.now(UTC) <= timedelta(minutes=10)
    assert state.gsi4pk == db_keys.expiry_bucket(expiry.hour_bucket(state.valid_until))


def test_authorize_each_call_gets_its_own_state(api: ApiClient, provider: FakeProvider) -> None:
    first, second = (_params(_authorize(api).headers["Location"]) for _ in range(2))
    assert first["state"] != second["state"] and first["code_challenge"] != second["code_challenge"]


def test_authorize_github_asks_for_the_email_scope(api: ApiClient, provider: FakeProvider) -> None:
    params = _params(_authorize(api, "github").headers["Location"])
    assert params["client_id"] == CLIENTS["github"][0] and "user:email" in params["scope"].split()
    assert params["redirect_uri"] == CALLBACK.format(provider="github")


def test_authorize_an_allow_listed_redirect_uri_is_sent_to_the_provider(api: ApiClient, provider: FakeProvider) -> None:
    # WHEN a client names its own page, which is on the allow-list
    response = _authorize(api, query=f"?{urlencode({'redirectUri': APP_PAGE})}")
    # THEN the provider returns the user there, and that page relays code and state to our callback
    assert response.status == 302
    assert _params(response.headers["Location"])["redirect_uri"] == APP_PAGE
    provider.sign_in_as("google", "g-relay", "relay@example.com")
    back = _consent(response.headers["Location"])
    assert back.startswith(f"{APP_PAGE}?")
    assert _callback(api, "google", back).status == 200


@pytest.mark.parametrize(
    "uri", ["https://evil.example/steal", f"{APP_PAGE}/../x", f"{APP_PAGE}?next=evil", "javascript:alert(1)"]
)
def test_authorize_a_redirect_uri_off_the_allow_list_is_400(api: ApiClient, provider: FakeProvider, uri: str) -> None:
    payload = assert_error(_authorize(api, query=f"?{urlencode({'redirectUri': uri})}"), 400, "VALIDATION_ERROR")
    assert payload["error"]["details"][0]["field"] == "redirectUri"


def test_authorize_unknown_provider_is_404(api: ApiClient, provider: FakeProvider) -> None:
    assert_error(_authorize(api, "facebook"), 404, "NOT_FOUND")


def test_authorize_a_provider_without_credentials_is_503(
    api: ApiClient, provider: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    from souk.settings import get_settings

    # GIVEN GitHub has no client configured
    monkeypatch.delenv("OAUTH_GITHUB_CLIENT_SECRET")
    get_settings.cache_clear()
    # THEN
    assert_error(_authorize(api, "github"), 503, "SERVICE_UNAVAILABLE")


# --- callback: accounts
def test_google_sign_in_creates_an_active_customer_without_password(api: ApiClient, provider: FakeProvider) -> None:
    # GIVEN someone new at Google with a verified email
    provider.sign_in_as("google", "g-100", "New.Person@Example.com", name="New Person")
    # WHEN
    response = _sign_in(api)
    # THEN tokens for a new active customer
    assert response.status == 200, response.body
    assert response.headers["Cache-Control"] == "no-store"
    data = response.json["data"]
    assert data["tokenType"] == "Bearer" and data["refreshToken"]
    user = data["user"]
    assert (user["email"], user["name"], user["role"], user["status"]) == (
        "new.person@example.com", "New Person", "customer", "active")  # fmt: skip
    me = api.get("/api/v1/auth/me", token=data["accessToken"])
    assert me.status == 200 and me.json["data"]["id"] == user["id"]
    # AND the identity is linked; there is no password to sign in with
    link = _link("google", "g-100")
    assert link is not None and link.user_id == user["id"]
    assert User.get(identity_keys.user(user["id"]), identity_keys.PROFILE).password_hash is None
    assert_error(api.post("/api/v1/auth/login", json_body={"email": "new.person@example.com", "password": PASSWORD}),
                 401, "INVALID_CREDENTIALS")  # fmt: skip
    # AND the PKCE verifier reached the provider's token endpoint (it checks it)
    assert ("POST", "/google/token") in provider.calls and ("GET", "/google/userinfo") in provider.calls


def test_signing_in_again_with_the_same_identity_reuses_the_account(api: ApiClient, provider: FakeProvider) -> None:
    provider.sign_in_as("google", "g-200", "again@example.com")
    first = _sign_in(api).json["data"]["user"]["id"]
    # WHEN the same Google account signs in again, even after changing its email there
    provider.sign_in_as("google", "g-200", "renamed@example.com")
    second = _sign_in(api)
    # THEN the same user
    assert second.status == 200 and second.json["data"]["user"]["id"] == first


def test_github_sign_in_uses_the_primary_verified_email(api: ApiClient, provider: FakeProvider) -> None:
    # GIVEN a GitHub user whose primary email is verified (and who has another, non-primary one)
    provider.sign_in_as("github", "4242", "octo@example.com", name=None)
    # WHEN
    response = _sign_in(api, "github")
    # THEN the account uses the primary email and the login as its name
    assert response.status == 200, response.body
    user = response.json["data"]["user"]
    assert (user["email"], user["name"]) == ("octo@example.com", "octocat")
    assert _link("github", "4242") is not None
    assert ("GET", "/github/user/emails") in provider.calls


def test_sign_in_links_an_existing_account_with_the_verified_email(api: ApiClient, provider: FakeProvider) -> None:
    # GIVEN an active password account
    existing = create_user("store_owner", email="owner@example.com")
    provider.sign_in_as("google", "g-300", "OWNER@example.com")
    # WHEN its owner signs in with Google, which has verified that email
    response = _sign_in(api)
    # THEN the same account is signed in and linked; the password still works
    assert response.status == 200, response.body
    assert response.json["data"]["user"]["id"] == existing.user_id
    assert response.json["data"]["user"]["role"] == "store_owner"
    assert _link("google", "g-300").user_id == existing.user_id  # type: ignore[union-attr]
    login = api.post("/api/v1/auth/login", json_body={"email": "owner@example.com", "password": PASSWORD})
    assert login.status == 200


def test_linking_a_pending_account_activates_it_and_drops_its_unproven_password(
    api: ApiClient, provider: FakeProvider
) -> None:
    # GIVEN someone registered this email with a password but never verified it
    pending = create_user(email="claimed@example.com", status="pending_verification")
    provider.sign_in_as("google", "g-400", "claimed@example.com")
    # WHEN the real owner of the address signs in with Google
    response = _sign_in(api)
    # THEN the account is theirs, active, and the unproven password no longer opens it
    assert response.status == 200, response.body
    assert response.json["data"]["user"]["id"] == pending.user_id
    assert response.json["data"]["user"]["status"] == "active"
    assert_error(api.post("/api/v1/auth/login", json_body={"email": "claimed@example.com", "password": PASSWORD}),
                 401, "INVALID_CREDENTIALS")  # fmt: skip


def test_an_unverified_email_never_links_an_existing_account(api: ApiClient, provider: FakeProvider) -> None:
    # GIVEN an account, and a Google account claiming its email without having verified it
    existing = create_user(email="victim@example.com")
    provider.sign_in_as("google", "g-500", "victim@example.com", verified=False)
    # WHEN
    response = _sign_in(api)
    # THEN refused, nothing linked, the account untouched
    payload = assert_error(response, 422, "UNPROCESSABLE_ENTITY")
    assert "verified email" in payload["error"]["message"]
    assert _link("google", "g-500") is None
    assert User.get(identity_keys.user(existing.user_id), identity_keys.PROFILE).password_hash == existing.password_hash


def test_an_unverified_email_creates_no_account(api: ApiClient, provider: FakeProvider) -> None:
    from souk.identity.service.users import find_user_by_email

    provider.sign_in_as("github", "777", "unverified@example.com", verified=False)
    assert_error(_sign_in(api, "github"), 422, "UNPROCESSABLE_ENTITY")
    assert find_user_by_email("unverified@example.com") is None and _link("github", "777") is None


def test_a_suspended_account_is_403(api: ApiClient, provider: FakeProvider) -> None:
    create_user(email="banned@example.com", status="suspended")
    provider.sign_in_as("google", "g-600", "banned@example.com")
    assert_error(_sign_in(api), 403, "ACCOUNT_SUSPENDED")
    assert _link("google", "g-600") is None


def test_an_account_with_2fa_must_still_pass_its_second_factor(api: ApiClient, provider: FakeProvider) -> None:
    # GIVEN an account with 2FA on
    user = create_user(email="careful@example.com")
    user.update(actions=[User.mfa_enabled.set(True)])
    provider.sign_in_as("google", "g-700", "careful@example.com")
    # THEN the provider sign-in ends like a password sign-in: MFA_REQUIRED with an mfaToken, no tokens
    payload = assert_error(_sign_in(api), 401, "MFA_REQUIRED")
    assert payload["data"]["mfaToken"] and "accessToken" not in payload.get("data", {})


# --- callback: state and PKCE
def test_a_state_works_once(api: ApiClient, provider: FakeProvider) -> None:
    # GIVEN a completed sign-in
    provider.sign_in_as("google", "g-800", "once@example.com")
    back = _consent(_authorize(api).headers["Location"])
    assert _callback(api, "google", back).status == 200
    # WHEN the same callback is replayed
    payload = assert_error(_callback(api, "google", back), 400, "VALIDATION_ERROR")
    # THEN refused on the state, before the provider is asked again
    assert payload["error"]["details"][0]["field"] == "state"
    assert provider.calls.count(("POST", "/google/token")) == 1


@pytest.mark.parametrize("query", ["code=abc&state=never-issued", "code=abc&state=", "code=abc"])
def test_callback_with_a_bad_or_missing_state_is_400(api: ApiClient, provider: FakeProvider, query: str) -> None:
    payload = assert_error(api.get(f"/api/v1/auth/oauth/google/callback?{query}"), 400, "VALIDATION_ERROR")
    assert payload["error"]["details"][0]["field"] == "state"
    assert ("POST", "/google/token") not in provider.calls


def test_a_state_issued_for_another_provider_is_400(api: ApiClient, provider: FakeProvider) -> None:
    provider.sign_in_as("google", "g-900", "mixed@example.com")
    back = _consent(_authorize(api, "google").headers["Location"])
    assert_error(_callback(api, "github", back), 400, "VALIDATION_ERROR")


def test_an_expired_state_is_400(api: ApiClient, provider: FakeProvider, monkeypatch: pytest.MonkeyPatch) -> None:
    from souk.identity.service import oauth

    monkeypatch.setattr(oauth, "STATE_MINUTES", -1)  # issued already expired
    provider.sign_in_as("google", "g-901", "late@example.com")
    back = _consent(_authorize(api).headers["Location"])
    assert_error(_callback(api, "google", back), 400, "VALIDATION_ERROR")


def test_a_wrong_pkce_verifier_is_refused_by_the_provider_and_is_502(api: ApiClient, provider: FakeProvider) -> None:
    # GIVEN the code was issued for another challenge than ours (an injected or swapped code)
    provider.sign_in_as("google", "g-1000", "pkce@example.com")
    start = _authorize(api)
    back = _consent(start.headers["Location"], code_challenge="A" * 43)
    # WHEN we exchange it with our verifier
    response = _callback(api, "google", back)
    # THEN the provider refuses it, and nothing is created
    assert_error(response, 502, "UPSTREAM_ERROR")
    assert _link("google", "g-1000") is None


def test_github_refusing_the_code_with_200_is_still_502(api: ApiClient, provider: FakeProvider) -> None:
    provider.sign_in_as("github", "1001", "gh-pkce@example.com")
    back = _consent(_authorize(api, "github").headers["Location"], code_challenge="B" * 43)
    assert_error(_callback(api, "github", back), 502, "UPSTREAM_ERROR")


def test_a_provider_that_is_down_is_502(api: ApiClient, provider: FakeProvider) -> None:
    provider.sign_in_as("google", "g-1100", "down@example.com")
    provider.fail_token_endpoint = True
    assert_error(_sign_in(api), 502, "UPSTREAM_ERROR")


def test_consent_refused_at_the_provider_is_400_and_spends_the_state(api: ApiClient, provider: FakeProvider) -> None:
    # GIVEN the user pressed "cancel": the provider returns an error instead of a code
    state = _params(_authorize(api).headers["Location"])["state"]
    # WHEN
    response = api.get(f"/api/v1/auth/oauth/google/callback?error=access_denied&state={state}")
    # THEN
    assert assert_error(response, 400, "VALIDATION_ERROR")["error"]["details"][0]["field"] == "error"
    assert_error(api.get(f"/api/v1/auth/oauth/google/callback?code=x&state={state}"), 400, "VALIDATION_ERROR")


def test_callback_unknown_provider_is_404(api: ApiClient, provider: FakeProvider) -> None:
    assert_error(api.get("/api/v1/auth/oauth/facebook/callback?code=x&state=y"), 404, "NOT_FOUND")
