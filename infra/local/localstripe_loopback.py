"""localstripe on 127.0.0.1 only, always from scratch: ``python localstripe_loopback.py PORT``.

Run with localstripe's own virtualenv. Its ``localstripe`` command binds every interface
(``::``, IPv4 and IPv6) with no option against it; this is that command's start, bound
to the loopback interface instead, with Stripe Connect (``localstripe_connect.py``) and
Stripe Billing (``localstripe_billing.py``, which builds on Connect's helpers) added.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import sys


def main(argv: list[str]) -> None:
    # This file's folder holds our own localstripe.py: it must not hide the package.
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [entry for entry in sys.path if os.path.abspath(entry or ".") != here]
    from aiohttp import web
    from localstripe.server import app

    # Loaded by path, under their own names (the store pickles its objects by module name);
    # Connect first: Billing imports its helpers from it.
    for name in ("localstripe_connect", "localstripe_billing"):
        spec = importlib.util.spec_from_file_location(name, os.path.join(here, f"{name}.py"))
        assert spec is not None and spec.loader is not None
        extension = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = extension
        spec.loader.exec_module(extension)
        extension.install(app)

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", int(argv[0])))
    web.run_app(app, sock=sock, access_log=None, print=None)


if __name__ == "__main__":
    main(sys.argv[1:])
