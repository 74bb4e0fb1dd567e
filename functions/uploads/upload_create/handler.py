"""POST /api/v1/uploads: a presigned S3 POST whose policy enforces the purpose's type and size."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.errors import UpstreamError
from souk.http import Depends, Envelope, create_app, entrypoint, ok
from souk.http.docs import raises
from souk.uploads import service as uploads
from souk.uploads.schemas import CreateUploadRequest, PresignedUpload

app = create_app()


@app.post(
    "/api/v1/uploads",
    status_code=201,
    summary="Start an upload",
    tags=["Uploads"],
    openapi_extensions=raises(UpstreamError),
)
def create_upload(
    body: CreateUploadRequest, caller: Annotated[Principal, Depends(authenticated)]
) -> Envelope[PresignedUpload]:
    return ok(uploads.create_upload(caller, body))


lambda_handler = entrypoint(app)
