"""PUT /api/v1/users/{userId}/profile: replace the profile (own, or any for an admin)."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.errors import Conflict
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.http.docs import raises
from souk.identity.schemas.profile import ProfileIn, ProfileOut
from souk.identity.service import profile

app = create_app()


@app.put(
    "/api/v1/users/<userId>/profile", summary="Replace a profile", tags=["Users"], openapi_extensions=raises(Conflict)
)
def put_profile(
    user_id: Annotated[str, Path(alias="userId", max_length=64)],
    body: ProfileIn,
    caller: Annotated[Principal, Depends(authenticated)],
) -> Envelope[ProfileOut]:
    return ok(profile.replace_profile(caller, user_id, body))


lambda_handler = entrypoint(app)
