"""DELETE /api/v1/uploads/{uploadId}: delete an own upload and its file (another user's is 404)."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.errors import UpstreamError
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.http.docs import raises
from souk.uploads import service as uploads
from souk.uploads.schemas import DeletedUpload

app = create_app()


@app.delete(
    "/api/v1/uploads/<uploadId>", summary="Delete an upload", tags=["Uploads"], openapi_extensions=raises(UpstreamError)
)
def delete_upload(
    upload_id: Annotated[str, Path(alias="uploadId", max_length=64)],
    caller: Annotated[Principal, Depends(authenticated)],
) -> Envelope[DeletedUpload]:
    deleted = uploads.delete_upload(caller, upload_id)
    return ok(DeletedUpload(id=deleted.upload_id, deleted=True))


lambda_handler = entrypoint(app)
