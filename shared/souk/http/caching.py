"""HTTP caching for public GET routes: ``Cache-Control``, a strong ``ETag``, and 304 answers.

Usage in a handler (``create_app`` already answers :class:`NotModified` with a 304)::

    app = create_app()

    @app.get("/api/v1/things/<thing_id>")
    def get_thing(thing_id: str, request: Request) -> Envelope[ThingOut]:
        thing, public = service.view_thing(thing_id, caller)
        return cached(request, ok(thing), public=public)

The ETag hashes the envelope without its ``meta`` (request id and timestamp change on
every call and would make every ETag unique). A request whose ``If-None-Match`` matches
gets 304 with no body: the answer is raised as :class:`NotModified`, which the resolver maps
to :func:`not_modified_response`, so that the route's response validation (which expects
the envelope) is not applied to an empty body. A private answer (an owner's view with
details the public does not get) is sent ``private, no-store`` without an ETag: no shared
cache may keep it.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import Response, content_types

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import Request
    from pydantic import BaseModel

PUBLIC_MAX_AGE = 60
CACHE_CONTROL = f"public, max-age={PUBLIC_MAX_AGE}"
PRIVATE = "private, no-store"


class NotModified(Exception):
    """The client's copy is current: the resolver answers 304 (:func:`not_modified_response`)."""

    def __init__(self, etag: str) -> None:
        self.etag = etag
        super().__init__(etag)


def etag_of(body: dict[str, Any]) -> str:
    """A strong ETag for a JSON body, ignoring its per-request ``meta``."""
    stable = {key: value for key, value in body.items() if key != "meta"}
    digest = hashlib.sha256(json.dumps(stable, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    return f'"{digest[:32]}"'


def _matches(if_none_match: str | None, etag: str) -> bool:
    # RFC 9110: If-None-Match uses the weak comparison, so W/"x" matches "x"; "*" matches any.
    if not if_none_match:
        return False
    candidates = [part.strip() for part in if_none_match.split(",")]
    return "*" in candidates or etag in {c.removeprefix("W/") for c in candidates}


def cached(request: Request, envelope: BaseModel, *, public: bool = True,
           max_age: int = PUBLIC_MAX_AGE) -> Response[Any]:  # fmt: skip
    """The envelope with cache headers, or :class:`NotModified` when the client holds it already."""
    body = envelope.model_dump(mode="json", by_alias=True)
    if not public:
        return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=body,
                        headers={"Cache-Control": PRIVATE})  # fmt: skip
    etag = etag_of(body)
    if _matches(request.resolved_event.headers.get("if-none-match"), etag):
        raise NotModified(etag)
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=body,
                    headers={"Cache-Control": f"public, max-age={max_age}", "ETag": etag})  # fmt: skip


def not_modified_response(exc: NotModified) -> Response[Any]:
    """304, no body, the same validators as the 200 would carry."""
    return Response(status_code=304, body="", headers={"ETag": exc.etag, "Cache-Control": CACHE_CONTROL})
