"""GET /version, the OpenAPI document (generated at build time from every handler) and its Swagger UI.

Apart from :mod:`souk.system.service.health`: these routes make no AWS call and load no boto3.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from souk.settings import get_settings
from souk.system.schemas import VersionInfo

OPENAPI_FILE = "openapi.json"


def version_info() -> VersionInfo:
    s = get_settings()
    return VersionInfo(version=s.version, git_sha=s.git_sha, build_time=s.build_time, stage=s.stage)


@cache
def openapi_document() -> str:
    """The committed document (``make openapi`` writes it; a test fails when it is stale)."""
    return resources.files("souk.system").joinpath(OPENAPI_FILE).read_text(encoding="utf-8")


@cache
def swagger_page() -> str:
    """Swagger UI with its JS and CSS inlined from the Powertools package: works offline."""
    # Deferred for cold start: the Swagger UI assets load only for the docs page.
    from aws_lambda_powertools.event_handler.openapi import swagger_ui
    from aws_lambda_powertools.event_handler.openapi.swagger_ui import generate_swagger_html

    assets = resources.files(swagger_ui)
    js = assets.joinpath("swagger-ui-bundle.min.js").read_text(encoding="utf-8")
    css = assets.joinpath("swagger-ui.min.css").read_text(encoding="utf-8")
    spec = openapi_document().replace("</", "<\\/")
    page = generate_swagger_html(spec, js, css, "", None, False)  # no base URL: the assets are inlined
    # Swagger UI would otherwise send the whole document to a public validator on every load.
    return page.replace('dom_id: "#swagger-ui",', 'dom_id: "#swagger-ui",\n    validatorUrl: null,', 1)
