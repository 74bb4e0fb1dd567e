"""``GET /api/v1/dashboard``: the caller's role-shaped summary, composed from each domain's hook.

Every ``souk/<domain>/dashboard.py`` (:func:`souk.registry.declaring`) maps roles to a view; the views of
the caller's role are called, each a constant number of reads, and shown under the domain's ``KEY``.
Nothing is imported for a role that has no view (the registry imports the declaring modules here).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field

from souk.registry import declaring
from souk.schema import CamelModel

if TYPE_CHECKING:
    from souk.caller import Principal


class DashboardOut(CamelModel):
    role: str
    sections: dict[str, Any] = Field(description="One view per domain with something to show this role, by key "
                                     "(analytics, notifications, points, ...).")  # fmt: skip


def compose(principal: Principal) -> DashboardOut:
    sections: dict[str, Any] = {}
    for module in declaring("dashboard"):
        view = module.VIEWS.get(principal.role)
        if view is not None:
            sections[module.KEY] = view(principal).model_dump(mode="json", by_alias=True)
    return DashboardOut(role=principal.role, sections=sections)
