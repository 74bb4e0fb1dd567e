"""HTTP plumbing shared by every route: resolver factory, envelope, errors, pagination."""

from souk.http.envelope import Envelope, PageEnvelope, ok, page, respond
from souk.http.resolver import create_app, entrypoint

__all__ = ["Envelope", "PageEnvelope", "create_app", "entrypoint", "ok", "page", "respond"]
