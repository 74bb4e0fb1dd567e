"""Declarations found by convention: ``souk.<package>.<module>`` wherever a package has that module.

A domain plugs into what is shared without editing a hub: it declares its email
templates in ``souk/<domain>/emails.py``, the expiring items the cleanup job handles in
``souk/<domain>/expiring.py`` and the audit actions it records in
``souk/<domain>/audit_actions.py``; :mod:`souk.notify.templates`, :mod:`souk.jobs.service`
and :mod:`souk.audit.service` find them here. ``souk/<domain>/dashboard.py`` (``KEY``, ``VIEWS``
by role) is the hook the SaaS ``GET /dashboard`` will compose (points and notifications declare theirs).

The modules are imported by name at run time (``importlib``), so the import-linter
contract does not see these edges, on purpose: the one who reads the declarations (a
sibling domain, or the core) names no domain. Packages are listed from the file system
without importing them (importing ``souk.http`` would load Powertools' resolver); only
the declaring modules (and their packages' tiny ``__init__``) are imported.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from pathlib import Path
from types import ModuleType

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
