"""Jobs: the key values of its items (pk, sk and GSI keys), one function per key.

Beside :mod:`souk.jobs.models`; ``docs/access-patterns.md`` lists the access patterns.
"""

from __future__ import annotations

from souk.db.keys import join


def job(name: str) -> str:
    return join("JOB", name)


JOB_CURSOR = "CURSOR"
