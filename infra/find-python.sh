#!/usr/bin/env bash
# Print the path of a Python >= 3.12 (the Lambda runtime), else >= 3.11; say which on stderr.
# pyenv installs are looked at directly: their shims are not always on PATH.
set -u
candidates=()
for name in python3.12 python3.13 python3 python3.11; do
  p=$(command -v "$name" 2>/dev/null) && candidates+=("$p")
done
for dir in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12* "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.13* "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.11*; do
  [ -x "$dir/bin/python3" ] && candidates+=("$dir/bin/python3")
done
best=""; best_minor=0
for p in "${candidates[@]}"; do
  minor=$("$p" -c 'import sys; print(sys.version_info[1] if sys.version_info[0] == 3 else 0)' 2>/dev/null) || continue
  # Prefer 3.12 (the runtime); then 3.13; then 3.11.
  case "$minor" in 12) rank=3 ;; 13) rank=2 ;; 11) rank=1 ;; *) rank=0 ;; esac
  if [ "$rank" -gt "$best_minor" ]; then best="$p"; best_minor="$rank"; fi
done
if [ -z "$best" ]; then
  echo "No Python 3.11+ found: install Python 3.12 (the Lambda runtime)." >&2
  exit 1
fi
echo "Using $("$best" --version 2>&1) at $best" >&2
echo "$best"
