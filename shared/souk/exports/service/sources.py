"""Where an export's rows come from: the sources the domains declare, one data page per call.

Every ``souk/<domain>/exporting.py`` holds ``SOURCES: dict[str, Source]`` (:class:`souk.registry.Source`),
found with :func:`souk.registry.declaring` ``("exporting")``: exports names no domain and imports none it
exports from (those modules import only the core; their pages call their own domain's service).

A source marked ``internal`` (e.g. privacy's ``account``, the GDPR export of a user's items) is not
accepted by ``POST /api/v1/exports``: the domain that owns it starts it through
:func:`souk.exports.service.exports.start_internal`. The public types are :data:`PUBLIC`
(``ExportIn.type``); ``tests/unit/exports/test_sources.py`` checks each is declared, once.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from souk import registry

if TYPE_CHECKING:
    from souk.exports.models import ExportJob
    from souk.registry import Page, Source


class DuplicateSource(Exception):
    """Two domains declare the same export type."""


@cache
def declared() -> dict[str, Source]:
    """Every declared source by export type."""
    found: dict[str, Source] = {}
    for module in registry.declaring("exporting"):
        for name, source in module.SOURCES.items():
            if name in found:
                raise DuplicateSource(f"export type {name!r} is declared twice (again by {module.__name__})")
            found[name] = source
    return found


def get(export_type: str) -> Source | None:
    return declared().get(export_type)


def page(job: ExportJob, cursor: str | None, size: int) -> Page:
    """One page of the job's rows from ``cursor`` and the cursor after it (None: the last page)."""
    source = declared()[job.type]
    filters: dict[str, Any] = dict(job.filters or {})
    return source.page(registry.ExportScope(job.owner_id, job.owner_role), filters, cursor, size)


def columns(export_type: str) -> tuple[str, ...]:
    return declared()[export_type].columns
