"""A small fake OAuth provider (Google and GitHub flavours) on 127.0.0.1, for the OAuth tests.

It implements what the real providers do for the authorization code flow with PKCE:
``/authorize`` redirects back with a one-time code bound to the client, the redirect URI
and the S256 challenge; ``/token`` swaps the code for an access token only when the
client secret, the redirect URI and the ``code_verifier`` all match (RFC 7636 §4.6);
the user endpoints answer for that token. Google refuses with 400 ``invalid_grant``,
GitHub with 200 and an ``error`` field, like the real ones.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

CLIENTS = {"google": ("google-client-id", "google-client-secret"), "github": ("github-client-id", "github-secret")}


@dataclass
class Account:
    """The person signing in at the provider."""

    subject: str
    email: str | None
    verified: bool = True
    name: str | None = "Oauth User"
    login: str = "octocat"


@dataclass
class FakeProvider:
    accounts: dict[str, Account] = field(default_factory=dict)  # provider -> who consents next
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, tuple[str, Account]] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    fail_token_endpoint: bool = False
    server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def sign_in_as(self, provider: str, subject: str, email: str | None, *, verified: bool = True,
                   name: str | None = "Oauth User") -> None:  # fmt: skip
        self.accounts[provider] = Account(subject, email, verified, name)

    def environment(self) -> dict[str, str]:
        """The settings that point Souk at this provider."""
        base = self.base_url
        return {
            "OAUTH_GOOGLE_CLIENT_ID": CLIENTS["google"][0],
            "OAUTH_GOOGLE_CLIENT_SECRET": CLIENTS["google"][1],
            "OAUTH_GOOGLE_AUTHORIZE_URL": f"{base}/google/authorize",
            "OAUTH_GOOGLE_TOKEN_URL": f"{base}/google/token",
            "OAUTH_GOOGLE_USERINFO_URL": f"{base}/google/userinfo",
            "OAUTH_GITHUB_CLIENT_ID": CLIENTS["github"][0],
            "OAUTH_GITHUB_CLIENT_SECRET": CLIENTS["github"][1],
            "OAUTH_GITHUB_AUTHORIZE_URL": f"{base}/github/authorize",
            "OAUTH_GITHUB_TOKEN_URL": f"{base}/github/token",
            "OAUTH_GITHUB_USERINFO_URL": f"{base}/github/user",
            "OAUTH_GITHUB_EMAILS_URL": f"{base}/github/user/emails",
            "OAUTH_HTTP_TIMEOUT": "3",
        }

    def start(self) -> FakeProvider:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:
                fake._dispatch(self, "GET")

            def do_POST(self) -> None:
                fake._dispatch(self, "POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, name="fake-oauth", daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    # ------------------------------------------------------------------ the endpoints

    def _dispatch(self, http: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(http.path)
        provider, _, route = parts.path.strip("/").partition("/")
        self.calls.append((method, parts.path))
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if method == "GET" and route == "authorize":
            return self._authorize(http, provider, query)
        if method == "POST" and route in ("token", "access_token"):
            length = int(http.headers.get("Content-Length") or 0)
            form = {k: v[-1] for k, v in parse_qs(http.rfile.read(length).decode()).items()}
            return self._token(http, provider, form)
        if method == "GET" and route in ("userinfo", "user", "user/emails"):
            return self._user(http, provider, route)
        return _send(http, 404, {"error": "not_found"})

    def _authorize(self, http: BaseHTTPRequestHandler, provider: str, query: dict[str, str]) -> None:
        account = self.accounts.get(provider)
        problems = [
            query.get("response_type") != "code",
            query.get("client_id") != CLIENTS[provider][0],
            query.get("code_challenge_method") != "S256",
            len(query.get("code_challenge", "")) != 43,
            not query.get("state"),
            not query.get("redirect_uri"),
            account is None,
        ]
        if any(problems):
            return _send(http, 400, {"error": "invalid_request", "problems": problems})
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"provider": provider, "redirect_uri": query["redirect_uri"],
                            "challenge": query["code_challenge"], "account": account, "used": False}  # fmt: skip
        location = f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"
        http.send_response(302)
        http.send_header("Location", location)
        http.send_header("Content-Length", "0")
        http.end_headers()

    def _token(self, http: BaseHTTPRequestHandler, provider: str, form: dict[str, str]) -> None:
        if self.fail_token_endpoint:
            return _send(http, 503, {"error": "temporarily_unavailable"})
        grant = self.codes.get(form.get("code", ""))
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        ok = (
            grant is not None
            and not grant["used"]
            and grant["provider"] == provider
            and (form.get("client_id"), form.get("client_secret")) == CLIENTS[provider]
            and form.get("redirect_uri") == grant["redirect_uri"]
            and form.get("grant_type") == "authorization_code"
            and secrets.compare_digest(challenge, grant["challenge"])
        )
        if grant is not None:
            grant["used"] = True  # a code is single use, whatever the outcome
        if not ok or grant is None:
            if provider == "github":
                return _send(http, 200, {"error": "bad_verification_code"})
            return _send(http, 400, {"error": "invalid_grant"})
        token = secrets.token_urlsafe(16)
        self.tokens[token] = (provider, grant["account"])
        return _send(http, 200, {"access_token": token, "token_type": "Bearer", "expires_in": 3599})

    def _user(self, http: BaseHTTPRequestHandler, provider: str, route: str) -> None:
        scheme, _, token = (http.headers.get("Authorization") or "").partition(" ")
        found = self.tokens.get(token) if scheme.lower() == "bearer" else None
        if found is None or found[0] != provider:
            return _send(http, 401, {"error": "invalid_token"})
        account = found[1]
        if route == "userinfo":
            body: Any = {"sub": account.subject, "email": account.email, "email_verified": account.verified,
                         "name": account.name}  # fmt: skip
        elif route == "user":
            body = {"id": int(account.subject), "login": account.login, "name": account.name, "email": None}
        else:
            body = [{"email": f"old-{account.subject}@example.org", "primary": False, "verified": True}]
            if account.email:
                body.append({"email": account.email, "primary": True, "verified": account.verified})
        return _send(http, 200, body)


def _send(http: BaseHTTPRequestHandler, status: int, body: Any) -> None:
    raw = json.dumps(body).encode()
    http.send_response(status)
    http.send_header("Content-Type", "application/json")
    http.send_header("Content-Length", str(len(raw)))
    http.end_headers()
    http.wfile.write(raw)
