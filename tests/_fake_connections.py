"""Fake connections for the failure-detector tests: they implement
:class:`hazelcast.network.failure_detector.MonitoredConnection` and record how they were closed (unit-level fault
injection; the real Connection is tested against real members)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Tuple


@dataclass(frozen=True)
class FakeAddress:
    host: str
    port: int = 5701


class FakeConnection:
    """A connection whose read/write times the test sets; ``close`` records its arguments."""

    def __init__(self, host: Optional[str] = "127.0.0.1", *, read: float = 0.0, write: float = 0.0,
                 fail_close: bool = False) -> None:
        self.remote_address = None if host is None else FakeAddress(host)
        self.last_read_time = read
        self.last_write_time = write
        self.is_alive = True
        self.closes: List[Tuple[str, Optional[BaseException]]] = []
        self._fail_close = fail_close

    async def close(self, reason: str, cause: Optional[BaseException]) -> None:
        self.closes.append((reason, cause))
        self.is_alive = False
        if self._fail_close:
            raise RuntimeError("close failed")

    def __repr__(self) -> str:
        return f"FakeConnection({self.remote_address!r})"


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
