"""Points' part of ``GET /api/v1/dashboard`` (issue 14 item 5: the route itself comes with the SaaS issue).

Found by convention (:func:`souk.registry.declaring` ``("dashboard")``): ``VIEWS`` maps a role to
the view of that role's dashboard this domain contributes, under the key ``points``. Each view
is one call of the domain's own service, a constant number of reads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from souk.points.service.account import get_points

if TYPE_CHECKING:
    from collections.abc import Callable

    from pydantic import BaseModel

    from souk.caller import Principal

KEY = "points"
VIEWS: dict[str, Callable[[Principal], BaseModel]] = {"customer": get_points}
