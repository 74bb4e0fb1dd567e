"""GET /api/v1/users/{userId}/profile: bio, avatar, timezone, language (own, or any for an admin)."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.identity.schemas.profile import ProfileOut
from souk.identity.service import profile

app = create_app()


@app.get("/api/v1/users/<userId>/profile", summary="Get a profile", tags=["Users"])
def get_profile(
    user_id: Annotated[str, Path(alias="userId", max_length=64)], caller: Annotated[Principal, Depends(authenticated)]
) -> Envelope[ProfileOut]:
    return ok(profile.read_profile(caller, user_id))


lambda_handler = entrypoint(app)
