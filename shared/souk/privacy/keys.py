"""Privacy: the key values of its items, one function per key.

| entity | pk | sk |
|---|---|---|
| ErasureJob | ERASURE#<userId> | ERASURE |

One erasure job per user: keyed by the user id, created on ``attribute_not_exists``, so two
``DELETE /me`` at once make one job.
"""

from __future__ import annotations

from souk.db.keys import join

ERASURE = "ERASURE"


def erasure(user_id: str) -> str:
    return join("ERASURE", user_id)
