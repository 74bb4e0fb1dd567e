"""`make admin EMAIL=... PASSWORD=...`: create an active admin through the account services.

Usage: python -m infra.admin --email EMAIL --password PASSWORD [--name NAME] [--table T] [--endpoint URL]

Writes to the running local stack by default, or to a deployed table with ``--table``
(or ``TABLE_NAME``) and the environment's AWS credentials; see :mod:`infra.stack`. The
password policy is the API's own; an email already in use is refused, never overwritten.
Exit status: 0 created, 1 refused or failed (the message says why), 2 bad usage.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from infra import stack

if TYPE_CHECKING:
    from souk.identity.models import User


class AdminError(RuntimeError):
    """The admin cannot be created; the message is for the operator."""


def create_admin(email: str, password: str, name: str, *, source: str = "infra.admin") -> User:
    """An active admin, saved with its email claim in one transaction (audited as the system)."""
    from pydantic import EmailStr, TypeAdapter, ValidationError

    from souk.caller import Actor
    from souk.errors import DuplicateEntry
    from souk.identity import passwords
    from souk.identity.service import accounts
    from souk.identity.service.users import find_user_by_email
    from souk.identity.store import users as user_store

    try:
        email = TypeAdapter(EmailStr).validate_python(email.strip())
    except ValidationError as exc:
        # The API validates sign-in emails the same way: an admin it refuses could never sign in.
        raise AdminError(f"'{email}' is not an email address the API accepts: {exc.errors()[0]['msg']}") from None
    problems = passwords.policy_violations(password, email=email)
    if problems:
        raise AdminError("the password breaks the password policy: " + " ".join(problems))
    if find_user_by_email(email) is not None:
        raise AdminError(f"an account with the email {email} already exists; nothing was changed.")
    user = user_store.new_user(email=email, name=name, role="admin", status="active",
                               password_hash=passwords.hash_password(password))  # fmt: skip
    try:
        accounts.create_account(user, Actor(user_id="system", role="system", user_agent=source))
    except DuplicateEntry:
        raise AdminError(f"an account with the email {email} already exists; nothing was changed.") from None
    return user


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m infra.admin", description="Create an active admin.")
    parser.add_argument("--email", required=True, help="the admin's email (make admin EMAIL=...)")
    parser.add_argument("--password", required=True, help="meets the password policy (make admin PASSWORD=...)")
    parser.add_argument("--name", default="Administrator")
    parser.add_argument("--table", help="a deployed stack's table (default: TABLE_NAME, else the local stack)")
    parser.add_argument("--endpoint", help="DynamoDB endpoint (default: AWS_ENDPOINT_URL_DYNAMODB, else found)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.email.strip() or not args.password:
        print("usage: make admin EMAIL=you@example.com PASSWORD='...'", file=sys.stderr)
        return 2
    try:
        target = stack.connect(stack.resolve(args.table, args.endpoint))
        user = create_admin(args.email, args.password, args.name)
    except (stack.TargetError, AdminError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"Created admin {user.email} (id {user.user_id}) in {target.describe()}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
