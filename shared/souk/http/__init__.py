"""HTTP plumbing shared by every route: resolver factory, envelope, errors, pagination."""

from aws_lambda_powertools.event_handler import Depends, Request, Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from souk.http.envelope import Envelope, PageEnvelope, ok, page, respond
from souk.http.resolver import create_app, entrypoint

# Powertools' route parameters are re-exported so a handler's imports start with ``souk``:
# importing it pauses garbage collection for the rest of the cold start (souk.coldstart),
# which a first import of Powertools would run under.
__all__ = ["Depends", "Envelope", "PageEnvelope", "Path", "Query", "Request", "Response", "content_types",
           "create_app", "entrypoint", "ok", "page", "respond"]  # fmt: skip
