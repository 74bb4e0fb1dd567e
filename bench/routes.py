"""Concrete requests for the template's path templates, shared by both bench sections."""

from __future__ import annotations

import re

from infra.local.events import path_pattern

# Looks like one of our ULIDs, so a route that validates its id format gets past that check.
PLACEHOLDER_ID = "01BENCH0000000000000000000"


def concrete_path(path: str) -> str:
    """A request path for an API Gateway path template: ``{param}`` becomes an id."""
    path = re.sub(r"\{[^}]+\+\}", "bench/path", path)
    return re.sub(r"\{[^}]+\}", PLACEHOLDER_ID, path)


def path_parameters(template_path: str, path: str) -> dict[str, str]:
    """The ``pathParameters`` API Gateway would send for ``path`` on that route."""
    found = path_pattern(template_path).match(path)
    return found.groupdict() if found else {}
