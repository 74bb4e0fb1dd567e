"""What `make build` produced: the layer's unzipped size against Lambda's limit.

Lambda caps a function's code plus all its layers at 250 MB unzipped (262,144,000 bytes);
every function here has one layer, so the largest function folder plus the layer is the
number that must stay under it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024
LAYER = "SoukLayer"


def tree_bytes(root: Path) -> int:
    """Sum of the file sizes under ``root``: what the folder weighs once unzipped."""
    return sum(p.lstat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def sizes(build_dir: Path) -> tuple[int, int]:
    """(layer bytes, largest function folder's bytes) in a `sam build` output folder."""
    layer = tree_bytes(build_dir / LAYER)
    functions = [tree_bytes(d) for d in build_dir.iterdir() if d.is_dir() and d.name != LAYER]
    return layer, max(functions, default=0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("build_dir", type=Path)
    parser.add_argument("--seconds", type=int, help="how long the build took")
    args = parser.parse_args(argv)
    layer, function = sizes(args.build_dir)
    total = layer + function
    took = f" in {args.seconds} s" if args.seconds is not None else ""
    print(f"Built {args.build_dir}{took}.")
    print(f"Layer {LAYER}: {layer:,} bytes unzipped; with the largest function ({function:,} bytes): {total:,}")
    share = 100 * total / LAMBDA_UNZIPPED_LIMIT
    print(f"  of Lambda's {LAMBDA_UNZIPPED_LIMIT:,}-byte (250 MB) unzipped limit: {share:.1f}%")
    if total >= LAMBDA_UNZIPPED_LIMIT:
        print("Over Lambda's limit: the deploy would fail.")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
