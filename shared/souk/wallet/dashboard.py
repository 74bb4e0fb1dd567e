"""Wallet's part of ``GET /api/v1/dashboard`` (found by :func:`souk.registry.declaring` ``("dashboard")``):
couriers see their balance (their earnings are credited there), one GetItem."""

from __future__ import annotations

from typing import TYPE_CHECKING

from souk.wallet.service import get_wallet

if TYPE_CHECKING:
    from collections.abc import Callable

    from pydantic import BaseModel

    from souk.caller import Principal

KEY = "wallet"
VIEWS: dict[str, Callable[[Principal], BaseModel]] = {"courier": get_wallet}
