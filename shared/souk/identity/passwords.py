"""Password hashing (argon2id, OWASP parameters) and the password policy."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from argon2 import PasswordHasher

MIN_LENGTH = 8
MAX_LENGTH = 128  # argon2 hashes anything, but unbounded input is a DoS vector


@cache
def _hasher() -> PasswordHasher:
    # Deferred for cold start: only handlers that touch passwords pay argon2's import.
    from argon2 import PasswordHasher, Type

    # OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1.
    return PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, hash_len=32, salt_len=16, type=Type.ID)


@cache
def _dummy_hash() -> str:
    return _hasher().hash("souk-dummy-password-for-timing")


@cache
def common_passwords() -> frozenset[str]:
    text = resources.files("souk.identity").joinpath("common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def policy_violations(password: str, *, email: str | None = None) -> list[str]:
    """Why a password is refused; empty when it passes."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"Use at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        problems.append(f"Use at most {MAX_LENGTH} characters.")
    if not re.search(r"[a-z]", password):
        problems.append("Add a lower-case letter.")
    if not re.search(r"[A-Z]", password):
        problems.append("Add an upper-case letter.")
    if not re.search(r"\d", password):
        problems.append("Add a digit.")
    if not re.search(r"[^A-Za-z0-9]", password):
        problems.append("Add a special character.")
    if password.lower() in common_passwords():
        problems.append("This password is too common.")
    if email and email.split("@")[0].lower() in password.lower() and len(email.split("@")[0]) >= 4:
        problems.append("Do not use your email address in the password.")
    return problems


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when it matches. With no hash (unknown user), still spends the same time."""
    # Deferred for cold start, like _hasher's.
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)
