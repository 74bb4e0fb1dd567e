"""GET /api/version: version, git sha and build time of the deployed code."""

from __future__ import annotations

from souk.http import Envelope, create_app, entrypoint, ok
from souk.system.schemas import VersionInfo
from souk.system.service.docs import version_info

app = create_app()


@app.get("/api/version", summary="Deployed version", tags=["System"])
def version() -> Envelope[VersionInfo]:
    return ok(version_info())


lambda_handler = entrypoint(app)
