"""A real DNS server on loopback for tests: dnsmasq serving A and CNAME records that a test can rewrite.

Only 127.0.0.1 is listened on; the server never forwards queries anywhere (``no-resolv``). Rewriting records
restarts dnsmasq on the same port (dnsmasq does not reload CNAME records on SIGHUP).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from typing import Dict, Optional


def free_udp_port() -> int:
    """A port on 127.0.0.1 that is free right now for both UDP and TCP (dnsmasq listens on both).

    The kernel picks it for a TCP bind (Linux prefers odd ports there and even ones for outgoing connections, so
    another process's connect() is unlikely to take it before dnsmasq binds); UDP is checked on the same port.
    """
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:  # pragma: no cover - a UDP socket on the port TCP just gave us
                    continue
                return port
    raise RuntimeError("no port on 127.0.0.1 is free for both UDP and TCP")  # pragma: no cover


class _PortInUse(Exception):
    """dnsmasq could not bind its port."""


class DnsmasqServer:
    """dnsmasq on ``127.0.0.1:port`` with ``hosts`` (name -> IPv4) and ``cnames`` (alias -> target)."""

    def __init__(self, ttl: int = 2, port: Optional[int] = None) -> None:
        self.binary = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"
        if not os.path.exists(self.binary):
            raise RuntimeError("dnsmasq is not installed (scripts/setup_system.sh installs it)")
        self._fixed_port = port is not None
        self.port = port or free_udp_port()
        self.ttl = ttl
        self.hosts: Dict[str, str] = {}
        self.cnames: Dict[str, str] = {}
        self._dir = tempfile.mkdtemp(prefix="hz-dnsmasq-")
        self.log_path = os.path.join(self._dir, "queries.log")
        self._proc: Optional[subprocess.Popen] = None
        self._started_before = False

    @property
    def address(self) -> str:
        return "127.0.0.1"

    def _write_config(self) -> str:
        lines = [
            f"port={self.port}",
            "listen-address=127.0.0.1",
            "bind-interfaces",
            "no-resolv",
            "no-hosts",
            "no-poll",
            "no-negcache",
            f"local-ttl={self.ttl}",
            "log-queries",
            f"log-facility={self.log_path}",
            "user=root",
        ]
        lines += [f"host-record={name},{ip}" for name, ip in self.hosts.items()]
        lines += [f"cname={alias},{target}" for alias, target in self.cnames.items()]
        path = os.path.join(self._dir, "dnsmasq.conf")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return path

    def start(self) -> "DnsmasqServer":
        """Start dnsmasq and wait until it answers.

        Another process can take the chosen port between the check and dnsmasq's bind; then a server on a port
        of its own choosing tries a fresh port, and one on a fixed port (or a restart) waits and tries again.
        """
        attempts = 0
        while True:
            try:
                return self._start_once()
            except _PortInUse:
                attempts += 1
                if attempts >= 20:
                    raise RuntimeError(f"dnsmasq could not listen on 127.0.0.1:{self.port}: address in use")
                if self._fixed_port or self._started_before:
                    time.sleep(0.1)
                else:
                    self.port = free_udp_port()

    def _start_once(self) -> "DnsmasqServer":
        config = self._write_config()
        self._proc = subprocess.Popen(
            [self.binary, f"--conf-file={config}", "--keep-in-foreground", f"--pid-file={self._dir}/pid"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                message = self._proc.stderr.read().decode(errors="replace")
                self._proc = None
                if "Address already in use" in message:
                    raise _PortInUse(message)
                raise RuntimeError(f"dnsmasq exited: {message}")
            if self._answers():
                self._started_before = True
                return self
            time.sleep(0.05)
        raise RuntimeError("dnsmasq did not start answering in time")

    def _answers(self) -> bool:
        # a minimal query for "." SOA; any reply means the server is up
        query = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x06\x00\x01"
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(0.2)
            try:
                s.sendto(query, ("127.0.0.1", self.port))
                return s.recv(512)[:2] == b"\x12\x34"
            except OSError:
                return False

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def set_cname(self, alias: str, target: str) -> None:
        """Point ``alias`` at ``target`` (restarts the server when running)."""
        self.cnames[alias] = target
        if self._proc is not None:
            self.restart()

    def query_count(self, name: str) -> int:
        """How many queries for ``name`` the server has logged."""
        try:
            with open(self.log_path) as f:
                return sum(1 for line in f if "query[" in line and f" {name} from " in line)
        except FileNotFoundError:
            return 0

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self._dir, ignore_errors=True)
