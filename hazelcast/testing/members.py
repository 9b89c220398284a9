"""Real Hazelcast members on loopback, for tests and for the demo job.

* :func:`fetch_hazelcast_jar` copies the pinned ``com.hazelcast:hazelcast`` jar from Maven Central into the ignored
  ``.cache/hazelcast/`` folder with ``mvn dependency:copy`` (idempotent: nothing happens when the jar is there).
  ``scripts/fetch_hazelcast.sh`` runs the same function (``python -m hazelcast.testing.members fetch``).
* :class:`HazelcastCluster` writes a member XML config (its own cluster name, one loopback address only — 127.0.0.1
  by default, or another 127.x address to run a second cluster on the same ports —, TCP/IP join on loopback,
  multicast and auto-detection off, phone-home and metrics off, small heap), allocates free ports by binding to
  port 0, and starts members with ``java -cp``.
* :class:`Member` waits until a member accepts clients (the "is STARTED" log line, then a TCP connect), stops it
  (SIGTERM, then SIGKILL), kills it (``kill -9``), freezes and thaws it (SIGSTOP / SIGCONT) and restarts it on the
  same port. Every member still running when the interpreter exits is killed, and on Linux a member dies with the
  thread that started it.

Example::

    with HazelcastCluster(size=2) as cluster:
        print(cluster.addresses)   # ["127.0.0.1:41237", "127.0.0.1:40111"]
"""

from __future__ import annotations

import asyncio
import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Dict, List, Optional, Sequence
from xml.sax.saxutils import escape

HAZELCAST_VERSION = "5.7.0"
"""The pinned member version used by the tests and the demo."""
HAZELCAST_GROUP_ARTIFACT = "com.hazelcast:hazelcast"
CACHE_DIR_VAR = "HAZELCAST_AIO_CACHE_DIR"
"""Environment variable overriding the cache folder (default: ``<repository>/.cache/hazelcast``)."""

MAIN_CLASS = "com.hazelcast.core.server.HazelcastMemberStarter"
DEFAULT_JVM_OPTIONS = (
    "-Xms64m",
    "-Xmx256m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-XX:-UsePerfData",
    "-Djava.net.preferIPv4Stack=true",
)
"""JVM options tuned for a quick start on a small machine (not for throughput benchmarks)."""
THROUGHPUT_JVM_OPTIONS = (
    "-Xms512m",
    "-Xmx1g",
    "-XX:+UseParallelGC",
    "-XX:-UsePerfData",
    "-Djava.net.preferIPv4Stack=true",
)
"""JVM options for the demo and the benchmarks: the full JIT (no ``TieredStopAtLevel``), a bigger heap."""
DEFAULT_PROPERTIES: Dict[str, str] = {
    "hazelcast.phone.home.enabled": "false",
    "hazelcast.socket.bind.any": "false",
    "hazelcast.wait.seconds.before.join": "0",
    "hazelcast.heartbeat.interval.seconds": "1",
    "hazelcast.max.no.heartbeat.seconds": "10",
    "hazelcast.logging.type": "jdk",
}
"""Member properties of the test config: quick joins, quick member-failure detection, nothing leaves the host."""
STARTED_LINE = "is STARTED"
HOST = "127.0.0.1"
LOCAL_ADDRESS_PROPERTY = "hazelcast.local.localAddress"
"""Member property naming the address to bind to and advertise (used for loopback addresses other than
127.0.0.1, which belong to no network interface, so interface matching cannot pick them)."""


class MemberStartError(RuntimeError):
    """A member process exited or did not accept clients in time; the message ends with its log tail."""


# -- the jar ----------------------------------------------------------------------------------------------------------


def _repository_root() -> Optional[Path]:
    root = Path(__file__).resolve().parents[2]
    return root if (root / "pyproject.toml").is_file() else None


def cache_dir() -> Path:
    """The folder holding the jar and the members' working folders."""
    override = os.environ.get(CACHE_DIR_VAR)
    if override:
        return Path(override)
    root = _repository_root()
    if root is not None:
        return root / ".cache" / "hazelcast"
    return Path.home() / ".cache" / "hazelcast-aio"  # pragma: no cover - installed package without a checkout


def jar_path(version: str = HAZELCAST_VERSION) -> Path:
    """Where :func:`fetch_hazelcast_jar` puts the member jar of ``version``."""
    return cache_dir() / f"hazelcast-{version}.jar"


def fetch_hazelcast_jar(version: str = HAZELCAST_VERSION) -> Path:
    """Make sure the member jar of ``version`` is in the cache folder and return its path.

    Runs ``mvn -q dependency:copy`` only when the jar is missing. Raises :class:`RuntimeError` when Maven is not
    installed or the copy fails.
    """
    target = jar_path(version)
    if target.is_file():
        return target
    mvn = shutil.which("mvn")
    if mvn is None:
        raise RuntimeError("Maven (mvn) is needed to fetch the Hazelcast jar; install it (apt-get install maven)")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="fetch-", dir=target.parent))
    try:
        cmd = [
            mvn,
            "-q",
            "-B",
            "dependency:copy",
            f"-Dartifact={HAZELCAST_GROUP_ARTIFACT}:{version}",
            f"-DoutputDirectory={staging}",
        ]
        result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
        fetched = staging / f"hazelcast-{version}.jar"
        if result.returncode != 0 or not fetched.is_file():
            raise RuntimeError(f"mvn dependency:copy of hazelcast {version} failed:\n{result.stdout[-4000:]}")
        os.replace(fetched, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


# -- ports ----------------------------------------------------------------------------------------------------------


def free_port(host: str = HOST) -> int:
    """A TCP port on ``host`` that is free right now (the kernel picks it: bind to port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_accepts(port: int, host: str = HOST, timeout: float = 0.5) -> bool:
    """Whether a TCP connect to ``host:port`` succeeds."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


# -- processes ------------------------------------------------------------------------------------------------------

_RUNNING: Dict[int, subprocess.Popen] = {}
_RUNNING_LOCK = threading.Lock()


def _kill_all_at_exit() -> None:
    with _RUNNING_LOCK:
        procs = list(_RUNNING.values())
        _RUNNING.clear()
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


atexit.register(_kill_all_at_exit)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def member_xml(cluster_name: str, port: int, peers: Sequence[int], properties: Dict[str, str], host: str = HOST) -> str:
    """The XML config of one member listening on ``host:port`` (default 127.0.0.1) that joins ``peers`` (ports on
    the same host) over TCP/IP."""
    props = "\n".join(
        f'    <property name="{escape(k)}">{escape(v)}</property>' for k, v in sorted(properties.items())
    )
    members = "\n".join(f"        <member>{host}:{p}</member>" for p in peers)
    if host == HOST:
        interfaces = f'<interfaces enabled="true"><interface>{host}</interface></interfaces>'
    else:  # not the address of an interface: no interface matching, the address comes from the property
        interfaces = '<interfaces enabled="false"/>'
        props += f'\n    <property name="{LOCAL_ADDRESS_PROPERTY}">{escape(host)}</property>'
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<hazelcast xmlns="http://www.hazelcast.com/schema/config"
           xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
           xsi:schemaLocation="http://www.hazelcast.com/schema/config
           http://www.hazelcast.com/schema/config/hazelcast-config-5.7.xsd">
  <cluster-name>{escape(cluster_name)}</cluster-name>
  <properties>
{props}
  </properties>
  <network>
    <port auto-increment="false">{port}</port>
    {interfaces}
    <join>
      <auto-detection enabled="false"/>
      <multicast enabled="false"/>
      <tcp-ip enabled="true" connection-timeout-seconds="1">
{members}
      </tcp-ip>
    </join>
  </network>
  <metrics enabled="false"/>
  <jet enabled="false"/>
</hazelcast>
"""


class Member:
    """One member process of a :class:`HazelcastCluster`, always on the same loopback address and port."""

    def __init__(self, cluster: "HazelcastCluster", port: int, peers: Sequence[int]) -> None:
        self.cluster = cluster
        self.port = port
        self.peers = list(peers)
        self.process: Optional[subprocess.Popen] = None
        self.log_path = cluster.workdir / f"member-{port}.log"
        self.config_path = cluster.workdir / f"member-{port}.xml"
        self._log_offset = 0

    @property
    def host(self) -> str:
        """The loopback address the member listens on (its cluster's ``host``)."""
        return self.cluster.host

    @property
    def address(self) -> str:
        """``"<host>:<port>"``, e.g. ``"127.0.0.1:5701"``."""
        return f"{self.host}:{self.port}"

    @property
    def pid(self) -> Optional[int]:
        """The process id while a process exists."""
        return self.process.pid if self.process is not None else None

    @property
    def is_running(self) -> bool:
        """Whether the member process is alive (possibly frozen)."""
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        """Spawn the member process (returns at once; see :meth:`wait_ready` / :meth:`wait_ready_async`)."""
        if self.is_running:
            raise RuntimeError(f"member {self.address} is already running")
        self.config_path.write_text(
            member_xml(self.cluster.cluster_name, self.port, self.peers, self.cluster.properties, self.host)
        )
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        cmd = [
            self.cluster.java,
            *self.cluster.jvm_options,
            f"-Dhazelcast.config={self.config_path}",
            "-cp",
            str(self.cluster.jar),
            MAIN_CLASS,
        ]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.cluster.workdir,
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
            )
        with _RUNNING_LOCK:
            _RUNNING[self.process.pid] = self.process

    def log_text(self) -> str:
        """The member's log since its last start."""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(self._log_offset)
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def _ready_step(self) -> bool:
        if self.process is None:
            raise MemberStartError(f"member {self.address} was never started")
        if self.process.poll() is not None:
            raise MemberStartError(
                f"member {self.address} exited with {self.process.returncode}:\n{self.log_text()[-3000:]}"
            )
        return STARTED_LINE in self.log_text() and port_accepts(self.port, self.host)

    def _timed_out(self, timeout: float) -> MemberStartError:
        return MemberStartError(f"member {self.address} not ready after {timeout} s:\n{self.log_text()[-3000:]}")

    def wait_ready(self, timeout: float = 120.0) -> None:
        """Block until the member accepts client connections; :class:`MemberStartError` if it dies or times out."""
        deadline = time.monotonic() + timeout
        while not self._ready_step():
            if time.monotonic() > deadline:
                raise self._timed_out(timeout)
            time.sleep(0.05)

    async def wait_ready_async(self, timeout: float = 120.0) -> None:
        """:meth:`wait_ready` without blocking the event loop."""
        deadline = time.monotonic() + timeout
        while not self._ready_step():
            if time.monotonic() > deadline:
                raise self._timed_out(timeout)
            await asyncio.sleep(0.05)

    def _signal(self, sig: int) -> None:
        if self.is_running:
            assert self.process is not None
            self.process.send_signal(sig)

    def _forget(self) -> None:
        if self.process is not None:
            with _RUNNING_LOCK:
                _RUNNING.pop(self.process.pid, None)

    def kill(self) -> None:
        """``kill -9`` the member (no goodbye to clients or peers) and reap it."""
        if self.process is None:
            return
        self._signal(signal.SIGCONT)
        self._signal(signal.SIGKILL)
        self.process.wait()
        self._forget()

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM (the member's shutdown hook runs), then SIGKILL after ``timeout`` seconds."""
        if self.process is None:
            return
        self._signal(signal.SIGCONT)
        self._signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._forget()

    def freeze(self) -> None:
        """SIGSTOP: the process keeps its sockets open but stops answering (a hung member)."""
        self._signal(signal.SIGSTOP)

    def thaw(self) -> None:
        """SIGCONT after :meth:`freeze`."""
        self._signal(signal.SIGCONT)

    def restart(self) -> None:
        """Stop the member if running and start it again on the same port (returns before it is ready)."""
        self.stop()
        self.start()

    def __repr__(self) -> str:
        return f"Member({self.address}, pid={self.pid}, running={self.is_running})"


class HazelcastCluster:
    """A cluster of members on loopback with its own random cluster name.

    ``size`` members get free ports at construction (or ``ports``, one per member); :meth:`start` starts them (the
    first one alone, then the rest together) and waits until all accept clients. :meth:`add_member` starts one more
    that joins the others. ``properties`` are added to :data:`DEFAULT_PROPERTIES`. ``host`` is the loopback address
    the members bind to (default 127.0.0.1; e.g. 127.0.0.2 to serve a second cluster on the same ports).
    """

    def __init__(
        self,
        size: int = 1,
        *,
        cluster_name: Optional[str] = None,
        properties: Optional[Dict[str, str]] = None,
        jvm_options: Sequence[str] = DEFAULT_JVM_OPTIONS,
        version: str = HAZELCAST_VERSION,
        java: Optional[str] = None,
        host: str = HOST,
        ports: Optional[Sequence[int]] = None,
    ) -> None:
        if size < 0:
            raise ValueError("size must be >= 0")
        if not host.startswith("127."):
            raise ValueError(f"members bind to loopback only, got {host!r}")
        if ports is not None and len(ports) != size:
            raise ValueError(f"{len(ports)} ports given for {size} members")
        self.host = host
        self.cluster_name = cluster_name or f"hz-aio-{uuid.uuid4().hex[:12]}"
        self.properties = {**DEFAULT_PROPERTIES, **(properties or {})}
        self.jvm_options = list(jvm_options)
        self.java = java or shutil.which("java") or "java"
        self.jar = fetch_hazelcast_jar(version)
        runs = cache_dir() / "members"
        runs.mkdir(parents=True, exist_ok=True)
        self.workdir = Path(tempfile.mkdtemp(prefix=f"{self.cluster_name}-", dir=runs))
        ports = list(ports) if ports is not None else [free_port(host) for _ in range(size)]
        self.members: List[Member] = [Member(self, port, ports) for port in ports]

    @property
    def addresses(self) -> List[str]:
        """``host:port`` of every member, running or not."""
        return [m.address for m in self.members]

    @property
    def running_members(self) -> List[Member]:
        """The members whose process is alive."""
        return [m for m in self.members if m.is_running]

    def start(self, timeout: float = 120.0) -> "HazelcastCluster":
        """Start every member that is not running and wait until all accept clients."""
        pending = [m for m in self.members if not m.is_running]
        if pending:
            first, rest = pending[0], pending[1:]
            first.start()
            first.wait_ready(timeout)
            for m in rest:
                m.start()
            for m in rest:
                m.wait_ready(timeout)
        return self

    def _new_member(self) -> Member:
        port = free_port(self.host)
        member = Member(self, port, [m.port for m in self.members] + [port])
        self.members.append(member)
        return member

    def add_member(self, timeout: float = 120.0) -> Member:
        """Start one more member (new port) that joins the running ones; returns it once it accepts clients."""
        member = self._new_member()
        member.start()
        member.wait_ready(timeout)
        return member

    async def add_member_async(self, timeout: float = 120.0) -> Member:
        """:meth:`add_member` without blocking the event loop."""
        member = self._new_member()
        member.start()
        await member.wait_ready_async(timeout)
        return member

    def shutdown(self, keep_logs: bool = False) -> None:
        """Stop every member (SIGTERM, then SIGKILL) and remove the working folder unless ``keep_logs``."""
        for m in self.members:
            m._signal(signal.SIGCONT)
            m._signal(signal.SIGTERM)
        for m in self.members:
            m.stop()
        if not keep_logs:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> "HazelcastCluster":
        try:
            return self.start()
        except BaseException:
            self.shutdown(keep_logs=True)
            raise

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    def __repr__(self) -> str:
        return f"HazelcastCluster({self.cluster_name!r}, members={self.members})"


def _main(argv: Sequence[str]) -> int:
    if list(argv) == ["fetch"]:
        print(fetch_hazelcast_jar())
        return 0
    print("usage: python -m hazelcast.testing.members fetch", file=sys.stderr)
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(_main(sys.argv[1:]))

__all__: Sequence[str] = [
    "HAZELCAST_VERSION",
    "HazelcastCluster",
    "Member",
    "THROUGHPUT_JVM_OPTIONS",
    "MemberStartError",
    "cache_dir",
    "fetch_hazelcast_jar",
    "free_port",
    "jar_path",
    "member_xml",
    "port_accepts",
]
