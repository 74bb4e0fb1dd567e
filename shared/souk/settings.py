"""Environment parsed once into a typed settings object.

Every Lambda reads its configuration through :func:`get_settings`; nothing else in the
layer reads ``os.environ`` directly, so the full list of knobs lives here.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    """Runtime configuration. Field aliases are the environment variable names."""

    model_config = ConfigDict(populate_by_name=True, frozen=True)

    stage: Literal["local", "test", "dev", "prod"] = Field("local", alias="SOUK_STAGE")
    service: str = Field("souk", alias="POWERTOOLS_SERVICE_NAME")
    region: str = Field("us-east-1", alias="AWS_REGION")
    table_name: str = Field("souk", alias="TABLE_NAME")
    # Only set locally and in tests; in AWS the SDK resolves the regional endpoint.
    dynamodb_endpoint: str | None = Field(None, alias="AWS_ENDPOINT_URL_DYNAMODB")
    uploads_bucket: str = Field("souk-uploads", alias="UPLOADS_BUCKET")
    exports_bucket: str = Field("souk-exports", alias="EXPORTS_BUCKET")
    email_queue_url: str = Field("", alias="EMAIL_QUEUE_URL")
    payouts_queue_url: str = Field("", alias="PAYOUTS_QUEUE_URL")
    exports_queue_url: str = Field("", alias="EXPORTS_QUEUE_URL")
    notifications_queue_url: str = Field("", alias="NOTIFICATIONS_QUEUE_URL")
    privacy_queue_url: str = Field("", alias="PRIVACY_QUEUE_URL")
    # Secrets: the value itself locally (env), or a Parameters name in AWS.
    jwt_secret: str | None = Field(None, alias="JWT_SECRET")
    jwt_secret_name: str | None = Field(None, alias="JWT_SECRET_NAME")
    cursor_secret: str | None = Field(None, alias="CURSOR_SECRET")
    stripe_secret_key: str | None = Field(None, alias="STRIPE_SECRET_KEY")
    stripe_webhook_secret: str | None = Field(None, alias="STRIPE_WEBHOOK_SECRET")
    stripe_api_base: str | None = Field(None, alias="STRIPE_API_BASE")
    # In AWS: a Secrets Manager JSON {"secretKey": "sk_...", "webhookSecret": "whsec_..."}.
    stripe_secret_name: str | None = Field(None, alias="STRIPE_SECRET_NAME")
    # The Stripe price ids that bill the paid plans (souk.plans.catalog); Free has none.
    stripe_price_pro: str | None = Field(None, alias="STRIPE_PRICE_PRO")
    stripe_price_enterprise: str | None = Field(None, alias="STRIPE_PRICE_ENTERPRISE")
    # A past_due subscription keeps its plan this many days (souk.plans.rules.granted_plan), then Free.
    plan_grace_days: int = Field(7, alias="PLAN_GRACE_DAYS", ge=0, le=60)
    # Commerce (docs/commerce.md): wallets hold one currency; unpaid card orders hold stock this long.
    wallet_currency: str = Field("usd", alias="WALLET_CURRENCY", pattern=r"^[a-z]{3}$")
    payment_window_minutes: int = Field(30, alias="PAYMENT_WINDOW_MINUTES", ge=1, le=24 * 60)
    sendgrid_api_key: str | None = Field(None, alias="SENDGRID_API_KEY")
    sendgrid_api_base: str | None = Field(None, alias="SENDGRID_API_BASE")
    sendgrid_secret_name: str | None = Field(None, alias="SENDGRID_SECRET_NAME")
    email_from: str = Field("no-reply@souk.local", alias="EMAIL_FROM")
    # The web app that links in emails point at (e.g. the password reset page).
    app_url: str = Field("http://localhost:3000", alias="APP_URL")
    max_body_bytes: int = Field(1_048_576, alias="MAX_BODY_BYTES")
    # Origins whose pages may read our answers (CORS), comma-separated, matched exactly; the
    # client app's origin (APP_URL) is always one. "*" admits any origin, for public reads
    # only (GET without credentials). "null" is never admitted.
    cors_allow_origins: str = Field("", alias="CORS_ALLOW_ORIGINS")
    version: str = Field("0.0.0-dev", alias="SOUK_VERSION")
    git_sha: str = Field("unknown", alias="GIT_SHA")
    build_time: str = Field("unknown", alias="BUILD_TIME")
    # OAuth sign-in (souk.identity.service.oauth). Client ids and secrets: the values (local, tests) or,
    # in AWS, one Secrets Manager JSON {"google": {"clientId", "clientSecret"}, "github": {...}}.
    oauth_secret_name: str | None = Field(None, alias="OAUTH_SECRET_NAME")
    oauth_google_client_id: str | None = Field(None, alias="OAUTH_GOOGLE_CLIENT_ID")
    oauth_google_client_secret: str | None = Field(None, alias="OAUTH_GOOGLE_CLIENT_SECRET")
    oauth_github_client_id: str | None = Field(None, alias="OAUTH_GITHUB_CLIENT_ID")
    oauth_github_client_secret: str | None = Field(None, alias="OAUTH_GITHUB_CLIENT_SECRET")
    # The providers' endpoints; tests point them at a fake provider.
    oauth_google_authorize_url: str = Field("https://accounts.google.com/o/oauth2/v2/auth",
                                            alias="OAUTH_GOOGLE_AUTHORIZE_URL")  # fmt: skip
    oauth_google_token_url: str = Field("https://oauth2.googleapis.com/token", alias="OAUTH_GOOGLE_TOKEN_URL")
    oauth_google_userinfo_url: str = Field("https://openidconnect.googleapis.com/v1/userinfo",
                                           alias="OAUTH_GOOGLE_USERINFO_URL")  # fmt: skip
    oauth_github_authorize_url: str = Field("https://github.com/login/oauth/authorize",
                                            alias="OAUTH_GITHUB_AUTHORIZE_URL")  # fmt: skip
    oauth_github_token_url: str = Field("https://github.com/login/oauth/access_token", alias="OAUTH_GITHUB_TOKEN_URL")
    oauth_github_userinfo_url: str = Field("https://api.github.com/user", alias="OAUTH_GITHUB_USERINFO_URL")
    oauth_github_emails_url: str = Field("https://api.github.com/user/emails", alias="OAUTH_GITHUB_EMAILS_URL")
    # Comma-separated, matched exactly: where a client may ask the provider to send the user back.
    oauth_redirect_uris: str = Field("", alias="OAUTH_REDIRECT_URIS")
    oauth_http_timeout: float = Field(4.0, alias="OAUTH_HTTP_TIMEOUT", gt=0, le=10)
    # The API's public base URL (e.g. https://api.souk.example) for the OAuth callback; when
    # unset it is derived from the request (Host header and stage).
    public_api_url: str | None = Field(None, alias="PUBLIC_API_URL")

    @property
    def is_local(self) -> bool:
        return self.stage in ("local", "test")

    @property
    def cors_origins(self) -> frozenset[str]:
        """The origins CORS admits: the app's, plus :attr:`cors_allow_origins` (never ``null``)."""
        scheme, _, rest = self.app_url.partition("://")
        app_origin = f"{scheme}://{rest.split('/', 1)[0]}" if rest else ""
        listed = (part.strip().rstrip("/") for part in self.cors_allow_origins.split(","))
        return frozenset(o for o in (app_origin, *listed) if o and o.lower() != "null")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment on first use."""
    known = {field.alias for field in Settings.model_fields.values() if field.alias}
    return Settings.model_validate({k: v for k, v in os.environ.items() if k in known})
