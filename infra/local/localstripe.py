"""localstripe, a stateful fake Stripe server (PyPI), for the local runner and the tests.

It lives in its own virtualenv (``.venv-localstripe``): its aiohttp pins must never
decide what the layer runs with. The real ``stripe`` SDK talks to it through
``STRIPE_API_BASE``. It listens on 127.0.0.1 only and always starts from scratch,
never reloading the state it pickled last time (``localstripe_loopback.py``), and
:func:`register_webhook` makes it deliver signed events to our webhook route the way
``stripe listen --forward-to`` does against real Stripe.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from infra.local.dynamodb_local import free_port

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv-localstripe"
REQUIREMENTS = ROOT / "infra" / "local" / "localstripe-requirements.txt"
STAMP = VENV / ".installed"
LOOPBACK = Path(__file__).resolve().with_name("localstripe_loopback.py")
HOST = "127.0.0.1"
TEST_SECRET_KEY = "sk_test_souk_local"  # localstripe accepts any sk_test_ key
# The recurring monthly USD prices localstripe_billing.py seeds (2900 and 9900 cents): what the plans bill.
PRICES = {"STRIPE_PRICE_PRO": "price_souk_pro", "STRIPE_PRICE_ENTERPRISE": "price_souk_enterprise"}


def executable() -> Path:
    return VENV / "bin" / "localstripe"


def installed() -> bool:
    return STAMP.exists() and STAMP.read_text() == REQUIREMENTS.read_text() and executable().exists()


def install() -> None:
    """Create the virtualenv and install the pinned localstripe (what ``make install`` runs)."""
    if installed():
        return
    # Our own argv only, no shell (S603).
    python = subprocess.run([str(ROOT / "infra" / "find-python.sh")], check=True, capture_output=True,  # noqa: S603
                            text=True).stdout.strip()  # fmt: skip
    subprocess.run([python, "-m", "venv", str(VENV)], check=True)  # noqa: S603
    pip = [str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "-r", str(REQUIREMENTS)], check=True)  # noqa: S603
    STAMP.write_text(REQUIREMENTS.read_text())


class LocalStripe:
    """One localstripe process on ``port`` (a free one by default)."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, timeout: float = 30.0) -> LocalStripe:
        if not executable().exists():
            raise RuntimeError("localstripe is not installed: run `make install`")
        # Its own command would listen on every interface: this starts it on 127.0.0.1, from scratch.
        self.process = subprocess.Popen(  # noqa: S603 - our own argv, no shell
            [str(VENV / "bin" / "python"), str(LOOPBACK), str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=str(ROOT),
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"localstripe exited with {self.process.returncode} on port {self.port}")
            if self.ready():
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"localstripe did not answer on {self.url} within {timeout:.0f}s")

    def ready(self) -> bool:
        try:
            self._call("GET", "/v1/balance", auth=True)
        except (OSError, urllib.error.URLError):
            return False
        return True

    def _call(self, method: str, path: str, data: dict[str, str] | None = None, *, auth: bool = False) -> bytes:
        body = "&".join(f"{k}={urllib.request.quote(v)}" for k, v in (data or {}).items()).encode() or None
        request = urllib.request.Request(self.url + path, data=body, method=method)  # noqa: S310 - local http only
        if body:
            request.add_header("Content-Type", "application/x-www-form-urlencoded")
        if auth:
            request.add_header("Authorization", f"Bearer {TEST_SECRET_KEY}")
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return bytes(response.read())

    def register_webhook(self, url: str, secret: str, webhook_id: str = "souk") -> None:
        """Deliver every event, signed with ``secret``, to ``url`` (our POST /api/v1/webhooks/stripe)."""
        self._call("POST", f"/_config/webhooks/{webhook_id}", {"url": url, "secret": secret})

    def clear(self) -> None:
        """Forget every object (between tests)."""
        self._call("DELETE", "/_config/data")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


def environment(server: LocalStripe, webhook_secret: str) -> dict[str, str]:
    """The function environment that points the stripe SDK at ``server``, with the plans' price ids."""
    return {"STRIPE_API_BASE": server.url, "STRIPE_SECRET_KEY": TEST_SECRET_KEY,
            "STRIPE_WEBHOOK_SECRET": webhook_secret, **PRICES}  # fmt: skip


if __name__ == "__main__":  # `python -m infra.local.localstripe install`
    if sys.argv[1:] == ["install"]:
        install()
    else:
        print(json.dumps({"installed": installed(), "venv": str(VENV), "env": os.environ.get("STRIPE_API_BASE")}))
