"""Imports run one way through the layer (STYLE.md, "The shape of Souk"), and nothing dodges it.

``lint-imports`` checks pyproject.toml's contracts (layers: http and auth above the domains,
the domains above db, db above the core; no cycles between packages nor between the
modules of a package). It counts imports placed inside functions too, so one cannot hide a
cycle; the only imports a function may hold are those deferred for cold start (a heavy
optional dependency: the Stripe SDK, boto3 clients, argon2, SendGrid), and they say so.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "shared" / "souk"


def _lint_imports() -> subprocess.CompletedProcess[str]:
    executable = Path(sys.executable).with_name("lint-imports")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "shared")}
    return subprocess.run([str(executable), "--no-cache"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip


def test_import_contracts_are_kept() -> None:
    # GIVEN the contracts of pyproject.toml
    # WHEN lint-imports checks the layer
    result = _lint_imports()
    # THEN every contract is kept
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken." in result.stdout, result.stdout


def test_contracts_list_no_exceptions_and_cover_every_package() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    contracts = {contract["id"]: contract for contract in config["contracts"]}
    assert set(contracts) == {"layers", "acyclic"}
    assert not any("ignore_imports" in contract for contract in contracts.values())
    # exhaustive: a new package or core module must be given its layer before it can land
    assert contracts["layers"]["exhaustive"] is True
    assert contracts["acyclic"]["ancestors"] == ["souk"]


def test_a_new_upward_import_breaks_the_contract(tmp_path: Path) -> None:
    # GIVEN a copy of the layer where the core imports a domain (errors -> identity)
    copy = tmp_path / "souk"
    shutil.copytree(LAYER, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "errors.py").write_text((LAYER / "errors.py").read_text() + "\nimport souk.identity.models\n")
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    # WHEN lint-imports checks the copy
    executable = Path(sys.executable).with_name("lint-imports")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    result = subprocess.run([str(executable), "--no-cache"], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=120, check=False)  # fmt: skip
    # THEN the layers contract is broken, naming the import
    assert result.returncode == 1, result.stdout
    assert "souk.errors -> souk.identity.models" in result.stdout, result.stdout


def _function_imports(path: Path) -> list[tuple[ast.AST, ast.Import | ast.ImportFrom]]:
    found: list[tuple[ast.AST, ast.Import | ast.ImportFrom]] = []
    for function in ast.walk(ast.parse(path.read_text())):
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            found += [(function, node) for node in ast.walk(function) if isinstance(node, ast.Import | ast.ImportFrom)]
    return found


def test_imports_inside_a_function_are_deferred_for_cold_start_and_say_so() -> None:
    unexplained = set()
    for path in sorted(LAYER.rglob("*.py")):
        lines = path.read_text().splitlines()
        for function, node in _function_imports(path):
            body = "\n".join(lines[function.lineno - 1 : node.lineno]).lower()
            if "cold start" not in body:
                unexplained.add(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert unexplained == set(), "say why it waits (cold start), or move it up: " + ", ".join(sorted(unexplained))
