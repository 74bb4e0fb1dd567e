"""Where a handler's import time goes: ``python -X importtime`` in its Lambda environment.

``python -m bench --importtime LoginFunction`` loads that handler once, laid out
and configured as :mod:`bench.cold` does it, with ``-X importtime``, and prints the
heaviest top-level packages and the heaviest of our own modules (``souk.*``), by
cumulative import time. Cumulative times nest (``souk.auth`` includes what it imports),
so read the souk list as "what importing this module drags in".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# "import time:       123 |       4567 |   pkg.module" (self and cumulative, in microseconds)
_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)\s*$")


@dataclass(frozen=True)
class ImportEntry:
    module: str
    self_us: int
    cumulative_us: int
    depth: int  # 0 for a module imported by the code itself, more for what it imported


def parse(stderr: str) -> list[ImportEntry]:
    """The ``-X importtime`` lines of ``stderr``, in the order Python printed them."""
    entries = []
    for line in stderr.splitlines():
        found = _LINE.match(line)
        if found:
            self_us, cumulative_us, indent, module = found.groups()
            entries.append(ImportEntry(module, int(self_us), int(cumulative_us), (len(indent) - 1) // 2))
    return entries


def by_package(entries: Iterable[ImportEntry]) -> dict[str, int]:
    """Self time summed per top-level package (microseconds): who pays, not who asked."""
    totals: dict[str, int] = {}
    for entry in entries:
        package = entry.module.split(".")[0]
        totals[package] = totals.get(package, 0) + entry.self_us
    return dict(sorted(totals.items(), key=lambda item: -item[1]))


def own_modules(entries: Iterable[ImportEntry], prefix: str = "souk") -> list[ImportEntry]:
    """Our modules, heaviest cumulative first."""
    ours = [e for e in entries if e.module == prefix or e.module.startswith(prefix + ".")]
    return sorted(ours, key=lambda e: -e.cumulative_us)


def first_chains(entries: list[ImportEntry]) -> dict[str, list[str]]:
    """For each top-level package, the import chain that first loaded it (outermost first).

    ``-X importtime`` prints a module after everything it imported, one indent deeper, so
    the children of a line are the unclaimed lines just above it at the next depth.
    """
    pending: list[tuple[ImportEntry, list[object]]] = []
    for entry in entries:
        children = []
        while pending and pending[-1][0].depth == entry.depth + 1:
            children.insert(0, pending.pop())
        pending.append((entry, children))
    chains: dict[str, list[str]] = {}

    def walk(node: tuple[ImportEntry, list[object]], path: list[str]) -> None:
        entry, children = node
        here = [*path, entry.module]
        chains.setdefault(entry.module.split(".")[0], here)
        for child in children:
            walk(child, here)  # type: ignore[arg-type]

    for root in pending:
        walk(root, [])
    return chains


def render(name: str, entries: list[ImportEntry], top: int = 15) -> str:
    total = sum(e.self_us for e in entries)
    lines = [f"## Import time of {name}: {total / 1000:.0f} ms over {len(entries)} modules (-X importtime)", ""]
    lines.append("Self time per top-level package, and the chain that first imported it:")
    chains = first_chains(entries)
    for package, micros in list(by_package(entries).items())[:top]:
        chain = " > ".join(chains.get(package, [package]))
        lines.append(f"  {micros / 1000:8.1f} ms  {package:22} {chain}")
    lines += ["", "Our modules by cumulative time (includes what each one imports):"]
    for entry in own_modules(entries)[:top]:
        lines.append(f"  {entry.cumulative_us / 1000:8.1f} ms  {entry.module}")
    return "\n".join(lines)
