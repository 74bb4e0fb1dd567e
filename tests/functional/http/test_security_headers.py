"""Security headers and CORS on real routes, set once in the layer (souk.http.resolver) and the gateway responses."""

from __future__ import annotations

from tests.factories import PASSWORD, create_user, token_for
from tests.functional.product_support import make_seller
from tests.support import ApiClient


def _app_origin() -> str:
    """The client app's origin (APP_URL without its path): always allowed."""
    from urllib.parse import urlsplit

    from souk.settings import get_settings

    parts = urlsplit(get_settings().app_url)
    return f"{parts.scheme}://{parts.netloc}"


def test_token_responses_are_never_stored(api: ApiClient) -> None:
    # GIVEN an account
    create_user(email="headers@example.com")
    # WHEN signing in and refreshing
    login = api.post("/api/v1/auth/login", json_body={"email": "headers@example.com", "password": PASSWORD})
    refresh = api.post("/api/v1/auth/refresh", json_body={"refreshToken": login.json["data"]["refreshToken"]})
    # THEN the answers carrying tokens say no-store and nosniff
    for response in (login, refresh):
        assert response.status == 200, response.body
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_personal_reads_and_errors_are_never_stored(api: ApiClient) -> None:
    token = token_for(create_user())
    for response in (api.get("/api/v1/auth/me", token=token), api.get("/api/v1/auth/sessions", token=token),
                     api.get("/api/v1/wallet", token=token), api.get("/api/v1/orders", token=token),
                     api.get("/api/v1/auth/me")):  # fmt: skip
        assert response.headers["Cache-Control"] == "no-store", response.status
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_public_product_read_keeps_its_own_caching(api: ApiClient) -> None:
    # GIVEN a product
    product = make_seller().create(api)
    # WHEN anyone reads it
    response = api.get(f"/api/v1/products/{product['id']}")
    # THEN public caching with an ETag, and nosniff
    assert response.status == 200
    assert response.headers["Cache-Control"].startswith("public") and response.headers["ETag"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_docs_page_cannot_be_framed(api: ApiClient) -> None:
    response = api.get("/api/docs")
    assert response.status == 200
    assert response.headers["Content-Security-Policy"] == "frame-ancestors 'none'"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_gateway_answers_carry_nosniff_too(api: ApiClient) -> None:
    # An unknown route is answered by API Gateway's own response (the template's GatewayResponses)
    response = api.get("/api/v1/no-such-route")
    assert response.status == 404
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


def test_cors_names_the_app_and_nobody_else(api: ApiClient) -> None:
    token, app_origin = token_for(create_user()), _app_origin()
    # WHEN the client app calls
    allowed = api.get("/api/v1/auth/me", token=token, headers={"Origin": app_origin})
    # THEN its origin is echoed, without credentials
    assert allowed.headers["Access-Control-Allow-Origin"] == app_origin
    assert "Access-Control-Allow-Credentials" not in allowed.headers
    assert allowed.headers["Vary"] == "Origin"
    # WHEN a foreign page or a sandboxed one ("null") calls, signed in or not, reading or writing
    for origin in ("https://evil.example", "null"):
        for response in (api.get("/api/v1/auth/me", token=token, headers={"Origin": origin}),
                         api.get("/api/v1/products", headers={"Origin": origin}),
                         api.post("/api/v1/auth/login", json_body={"email": "a@b.co", "password": "x"},
                                  headers={"Origin": origin})):  # fmt: skip
            # THEN no Access-Control-Allow-Origin at all: the browser keeps the answer from the page
            assert "Access-Control-Allow-Origin" not in response.headers, (origin, response.status)
