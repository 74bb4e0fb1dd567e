"""Declarations found by convention: ``souk.<package>.<module>`` wherever a package has that module.

A domain plugs into what is shared without editing a hub: it declares its email
templates in ``souk/<domain>/emails.py``, the expiring items the cleanup job handles in
``souk/<domain>/expiring.py`` and the audit actions it records in
``souk/<domain>/audit_actions.py``; :mod:`souk.notify.templates`, :mod:`souk.jobs.service`
and :mod:`souk.audit.service` find them here. ``souk/<domain>/dashboard.py`` (``KEY``, ``VIEWS``
by role) is the hook the SaaS ``GET /dashboard`` will compose (points and notifications declare theirs).
``souk/<domain>/exporting.py`` declares ``SOURCES: dict[str, Source]``, the export types the domain
serves (:mod:`souk.exports.service.sources` reads them); :class:`Source` and :class:`ExportScope` are
defined here, in the core, so a declaring domain imports no reader (exports imports no domain it
exports from: the domain graph stays acyclic whoever declares a source).

The modules are imported by name at run time (``importlib``), so the import-linter
contract does not see these edges, on purpose: the one who reads the declarations (a
sibling domain, or the core) names no domain. Packages are listed from the file system
without importing them (importing ``souk.http`` would load Powertools' resolver); only
the declaring modules (and their packages' tiny ``__init__``) are imported.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from pydantic import BaseModel

LAYER = Path(__file__).parent  # shared/souk, or /opt/python/souk in the Lambda layer


@cache
def declaring(module: str) -> tuple[ModuleType, ...]:
    """Every ``souk.<package>.<module>`` that exists, imported, in package name order."""
    found = []
    for package in sorted(pkgutil.iter_modules([str(LAYER)]), key=lambda info: info.name):
        if not package.ispkg:
            continue
        inside = pkgutil.iter_modules([str(LAYER / package.name)])
        if any(sub.name == module and not sub.ispkg for sub in inside):
            found.append(importlib.import_module(f"souk.{package.name}.{module}"))
    return tuple(found)


@dataclass(frozen=True)
class ExportScope:
    """Whose export a page is read for: the job's owner and their role when it was asked.

    ``role`` is ``admin`` (everything the type holds), ``store_owner`` (their stores' rows only) or
    ``internal`` (a job another domain's service started for ``user_id``, e.g. the GDPR account export).
    """

    user_id: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


Page = tuple[list[dict[str, Any]], str | None]


@dataclass(frozen=True)
class Source:
    """One export type a domain serves (``souk/<domain>/exporting.py``: ``SOURCES = {"<type>": Source(...)}``).

    - ``columns``: the CSV header, in order (JSON Lines rows carry the same keys).
    - ``page(scope, filters, cursor, limit)``: one bounded read (a Query, never a Scan) of at most
      ``limit`` rows from ``cursor`` (None: the start), JSON-ready dicts, and the cursor after them
      (None: the last page). The cursor is saved on the job between parts: it must stay valid
      across invocations (a signed list cursor). ``filters`` is the dict ``filters`` validated to.
    - ``roles``: who may ask for it with ``POST /api/v1/exports``; the page narrows by ``scope``.
    - ``filters``: the pydantic model (``extra="forbid"``) the request's ``filters`` must fit (a 400
      otherwise); None: the type takes no filters.
    - ``internal``: never accepted by ``POST /api/v1/exports``; another domain's service starts it with
      :func:`souk.exports.service.exports.start_internal` (scope role ``internal``).
    """

    columns: tuple[str, ...]
    page: Callable[[ExportScope, dict[str, Any], str | None, int], Page]
    roles: frozenset[str] = frozenset({"admin"})
    filters: type[BaseModel] | None = None
    internal: bool = False
