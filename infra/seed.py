"""`make seed`: demo accounts with addresses in the local stack, through the services.

Usage: python -m infra.seed [--table T] [--endpoint URL]

Creates an admin, customers, store owners and couriers, all active, each with one or two
delivery addresses (Cairo), and prints their credentials. The couriers are approved (a
verification granted without documents), so they can set themselves available. Every demo account signs in
with the password ``Souk-Demo-Pass-1``; the admin is ``admin@souk.example``.

The emails use ``.example`` (RFC 2606) rather than ``.local``: the API refuses
special-use domains such as ``.local`` and ``.test`` at sign-in, so accounts there could
never sign in.

It also adds a delivery zone covering the demo addresses (:data:`DEMO_ZONE`, Greater Cairo: a
radius zone with a per-km fee in usd, the currency a new store sells in by default), so a
newcomer's store in Cairo can be checked out from: checkout charges each store order the
zone's fee and refuses (422) an address in no zone.

Idempotent: an email that already has an account is skipped, with its addresses, and a zone
of the demo zone's name is not added again, so running it again creates nothing twice.
Targets the running local stack unless told otherwise; see :mod:`infra.stack`.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from typing import Any, TextIO

from infra import stack

DEMO_PASSWORD = "Souk-Demo-Pass-1"
SOURCE = "infra.seed"


@dataclass(frozen=True)
class DemoAddress:
    label: str
    line1: str
    lat: float
    lng: float
    city: str = "Cairo"
    country: str = "EG"


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    role: str
    phone: str | None = None
    addresses: tuple[DemoAddress, ...] = field(default_factory=tuple)


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("admin@souk.example", "Souk Admin", "admin"),
    DemoUser("amina@souk.example", "Amina Haddad", "customer", "+201001000001", (
        DemoAddress("Home", "12 Shagaret El Dor St, Zamalek", 30.0626, 31.2197),
        DemoAddress("Work", "1 Smart Village, Km 28 Cairo-Alex Desert Rd", 30.0713, 31.0175),
    )),
    DemoUser("omar@souk.example", "Omar Farouk", "customer", None, (
        DemoAddress("Home", "45 Road 9, Maadi", 29.9602, 31.2569),
    )),
    DemoUser("lina@souk.example", "Lina Mansour", "customer", "+201001000003", (
        DemoAddress("Home", "7 Abbas El Akkad St, Nasr City", 30.0566, 31.3301),
    )),
    DemoUser("karim@souk.example", "Karim Spice House", "store_owner", "+201001000004", (
        DemoAddress("Shop", "22 Al Muizz St, Gamaleya", 30.0497, 31.2622),
    )),
    DemoUser("nadia@souk.example", "Nadia Crafts", "store_owner", None, (
        DemoAddress("Workshop", "3 Souq El Fustat, Old Cairo", 30.0071, 31.2312),
    )),
    DemoUser("youssef@souk.example", "Youssef Rider", "courier", "+201001000006", (
        DemoAddress("Base", "90 Tahrir St, Dokki", 30.0384, 31.2118),
    )),
    DemoUser("sara@souk.example", "Sara Wheels", "courier", None, (
        DemoAddress("Base", "15 Salah Salem Rd, Heliopolis", 30.0911, 31.3227),
    )),
)  # fmt: skip


# Greater Cairo around Tahrir Square: every demo address is within 25 km. Fee: max(2.00, 1.00 + 0.30/km).
DEMO_ZONE: dict[str, Any] = {
    "name": "Greater Cairo (demo)", "type": "radius", "center": {"lat": 30.0444, "lng": 31.2357}, "radiusKm": 40,
    "fee": {"base": {"amount": 100, "currency": "usd"}, "perKm": {"amount": 30, "currency": "usd"},
            "minimum": {"amount": 200, "currency": "usd"}},
}  # fmt: skip


class Progress:
    """A progress bar on plain stdout: redrawn in place on a terminal, one line per step otherwise."""

    def __init__(self, total: int, out: TextIO = sys.stdout, width: int = 24) -> None:
        self.total, self.out, self.width, self.done = total, out, width, 0
        self.interactive = out.isatty()
        self._last = 0

    def step(self, label: str) -> None:
        self.done += 1
        filled = self.width * self.done // max(self.total, 1)
        line = f"[{'#' * filled}{'.' * (self.width - filled)}] {self.done}/{self.total} {label}"
        if self.interactive:
            self.out.write("\r" + line.ljust(self._last))
            self._last = len(line)
        else:
            self.out.write(line + "\n")
        self.out.flush()

    def finish(self) -> None:
        if self.interactive:
            self.out.write("\n")
            self.out.flush()


@dataclass
class Outcome:
    user: DemoUser
    created: bool


def seed_user(demo: DemoUser) -> bool:
    """Create one demo account with its addresses; False when its email is already taken."""
    from souk.caller import Actor, Principal
    from souk.errors import DuplicateEntry
    from souk.identity import passwords
    from souk.identity.schemas.addresses import AddressIn
    from souk.identity.service import accounts, addresses
    from souk.identity.service.users import find_user_by_email
    from souk.identity.store import users as user_store

    if find_user_by_email(demo.email) is not None:
        return False
    user = user_store.new_user(email=demo.email, name=demo.name, role=demo.role, status="active", phone=demo.phone,
                               password_hash=passwords.hash_password(DEMO_PASSWORD))  # fmt: skip
    try:
        accounts.create_account(user, Actor(user_id="system", role="system", user_agent=SOURCE))
    except DuplicateEntry:  # created meanwhile by someone else: theirs, leave it
        return False
    owner = Principal(user.user_id, user.role, None, user_agent=SOURCE)
    for index, place in enumerate(demo.addresses):
        body = AddressIn(label=place.label, line1=place.line1, city=place.city, country=place.country,
                         lat=place.lat, lng=place.lng, is_default=index == 0)  # fmt: skip
        addresses.create_address(owner, body)
    if demo.role == "courier":  # approved, so they may set themselves available (no documents to review)
        from souk.delivery.service import verification

        verification.grant(Actor(user_id="system", role="system", user_agent=SOURCE), user.user_id)
    return True


def seed_zone() -> bool:
    """Add :data:`DEMO_ZONE` (as the system, audited like an admin's); False when a zone of its name exists."""
    from souk.caller import Principal
    from souk.delivery.schemas import ZoneIn
    from souk.delivery.service import zones

    system = Principal("system", "admin", None, user_agent=SOURCE)
    if any(zone.name == DEMO_ZONE["name"] for zone in zones.list_zones(system)):
        return False
    zones.create_zone(system, ZoneIn.model_validate(DEMO_ZONE))
    return True


def seed(out: TextIO = sys.stdout) -> list[Outcome]:
    """Every demo account, with a progress bar on ``out``, then the demo delivery zone."""
    from souk.identity import passwords

    assert not passwords.policy_violations(DEMO_PASSWORD), "the demo password must pass the policy"
    progress = Progress(len(DEMO_USERS), out)
    outcomes = []
    for demo in DEMO_USERS:
        created = seed_user(demo)
        outcomes.append(Outcome(demo, created))
        progress.step(f"{demo.role:<11} {demo.email} {'created' if created else 'exists, skipped'}")
    progress.finish()
    added = seed_zone()
    out.write(f"Delivery zone {DEMO_ZONE['name']}: {'created' if added else 'already there'}\n")
    return outcomes


def credentials_table(outcomes: list[Outcome]) -> str:
    rows = [("role", "email", "password", "addresses", "this run")]
    for outcome in outcomes:
        demo = outcome.user
        rows.append((demo.role, demo.email, DEMO_PASSWORD, str(len(demo.addresses)),
                     "created" if outcome.created else "already there"))  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows)
    return "\n".join(line.rstrip() for line in lines)


def main(argv: list[str] | None = None, out: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.seed", description="Load demo accounts.")
    parser.add_argument("--table", help="a deployed stack's table (default: TABLE_NAME, else the local stack)")
    parser.add_argument("--endpoint", help="DynamoDB endpoint (default: AWS_ENDPOINT_URL_DYNAMODB, else found)")
    args = parser.parse_args(argv)
    try:
        target = stack.connect(stack.resolve(args.table, args.endpoint))
    except stack.TargetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    out.write(f"Seeding {target.describe()}\n")
    outcomes = seed(out)
    created = sum(o.created for o in outcomes)
    out.write(f"{created} accounts created, {len(outcomes) - created} already there. Sign in with:\n")
    out.write(credentials_table(outcomes) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
