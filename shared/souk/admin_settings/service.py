"""Reading the admin settings (cached up to a minute per function) and changing them.

Every function that applies a rule (a commission, a hold period) reads the document
through :func:`current`: one GetItem per minute per environment at most, so a change
reaches every function within 60 s. The admin's own GET reads it fresh.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from souk.admin_settings import store
from souk.admin_settings.models import AdminSettingsItem
from souk.admin_settings.schemas import RETIRED, AdminSettings, AdminSettingsUpdate
from souk.audit import service as audit
from souk.errors import Conflict
from souk.snapstart import on_restore

if TYPE_CHECKING:
    from souk.caller import Principal
    from souk.db.transactions import WriteTransaction

CACHE_SECONDS = 60.0
_lock = threading.Lock()
_cached: tuple[float, AdminSettings] | None = None


def without_retired(sections: dict[str, Any]) -> dict[str, Any]:
    """``sections`` less the keys a later release retired (:data:`~souk.admin_settings.schemas.RETIRED`)."""
    return {name: {k: v for k, v in value.items() if k not in RETIRED[name]}
            if name in RETIRED and isinstance(value, dict) else value for name, value in sections.items()}  # fmt: skip


def document(item: AdminSettingsItem | None) -> AdminSettings:
    """The document an item holds (the defaults without one); sections saved by an older
    release keep working: fields it did not know take their defaults, and keys since retired
    are dropped (the next change saves the section without them)."""
    if item is None:
        return AdminSettings(version=0)
    sections = without_retired(dict(item.sections or {}))
    return AdminSettings.model_validate({**sections, "version": int(item.doc_version)})


def read() -> AdminSettings:
    """The stored document, read now."""
    return _remember(document(store.load()))


def current() -> AdminSettings:
    """The document as of at most ``CACHE_SECONDS`` ago."""
    cached = _cached
    if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    return read()


def forget() -> None:
    """Drop the cached document (a restored snapshot, a test's fresh table)."""
    global _cached
    with _lock:
        _cached = None


on_restore(forget)


def _remember(settings: AdminSettings) -> AdminSettings:
    global _cached
    with _lock:
        _cached = (time.monotonic(), settings)
    return settings


def merged(stored: AdminSettings, change: AdminSettingsUpdate) -> dict[str, Any]:
    """The sections to save: the stored ones with the changed sections replaced whole."""
    sections = stored.model_dump(mode="json", by_alias=True, exclude={"version"})
    for name, section in change.sections().items():
        sections[name] = section.model_dump(mode="json", by_alias=True)
    return sections


def update(principal: Principal, change: AdminSettingsUpdate) -> AdminSettings:
    """Replace the sections sent, if the document is still at the version they were read at."""
    stored = read()
    if change.version != stored.version:
        raise Conflict(f"The settings are at version {stored.version}, not {change.version}: read them again.")
    sections = merged(stored, change)

    def audited(tx: WriteTransaction) -> None:
        audit.record(principal.actor, "admin_settings.update", "admin_settings", "platform", tx=tx,
                     before=stored.model_dump(mode="json", by_alias=True),
                     after={**sections, "version": stored.version + 1})  # fmt: skip

    return _remember(document(store.save(sections, read_version=stored.version, audit=audited)))
