"""DELETE /api/v1/users/{userId}: soft delete; sessions and API keys die, the email is freed."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.identity.schemas.users import Deleted
from souk.identity.service import user_admin

app = create_app()


@app.delete("/api/v1/users/<userId>", summary="Delete a user", tags=["Users"])
def delete_user(
    user_id: Annotated[str, Path(alias="userId", max_length=64)], caller: Annotated[Principal, Depends(authenticated)]
) -> Envelope[Deleted]:
    return ok(user_admin.delete_user(caller, user_id))


lambda_handler = entrypoint(app)
