"""Shared fixtures: the two backends of the hot paths, side by side.

Every test that takes ``framing`` or ``codec`` runs once per backend (ids ``compiled`` and ``python``). When
``HAZELCAST_REQUIRE_EXTENSIONS=1`` a missing compiled module is a test failure, never a skip.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType
from typing import Optional, Tuple

import pytest

from hazelcast import _codec_py, _framing_py
from hazelcast._flags import REQUIRE_EXTENSIONS_VAR, flag_enabled

REQUIRE_EXTENSIONS = flag_enabled(REQUIRE_EXTENSIONS_VAR)


def _load(name: str) -> Optional[ModuleType]:
    try:
        return importlib.import_module(name)
    except ImportError:
        if REQUIRE_EXTENSIONS:
            raise
        return None


def pytest_report_header(config: pytest.Config) -> str:
    import hazelcast

    return f"hazelcast-aio backend: {hazelcast.BACKEND}, package: {os.path.dirname(hazelcast.__file__)}"


COMPILED_FRAMING = _load("hazelcast._framing")
COMPILED_CODEC = _load("hazelcast._codec")


def _compiled_or_skip(module: Optional[ModuleType]) -> ModuleType:
    if module is None:
        pytest.skip("compiled extensions are not built (set HAZELCAST_REQUIRE_EXTENSIONS=1 to make this an error)")
    return module


@pytest.fixture(params=["compiled", "python"])
def framing(request: pytest.FixtureRequest) -> ModuleType:
    """The framing module of one backend."""
    if request.param == "compiled":
        return _compiled_or_skip(COMPILED_FRAMING)
    return _framing_py


@pytest.fixture(params=["compiled", "python"])
def codec(request: pytest.FixtureRequest) -> ModuleType:
    """The compact stream module of one backend."""
    if request.param == "compiled":
        return _compiled_or_skip(COMPILED_CODEC)
    return _codec_py


@pytest.fixture
def framing_pair() -> Tuple[ModuleType, ModuleType]:
    """(compiled, pure) framing modules, for differential tests."""
    return _compiled_or_skip(COMPILED_FRAMING), _framing_py


@pytest.fixture
def codec_pair() -> Tuple[ModuleType, ModuleType]:
    """(compiled, pure) codec modules, for differential tests."""
    return _compiled_or_skip(COMPILED_CODEC), _codec_py


# -- real Hazelcast members (hazelcast.testing.members) ------------------------------------------------------------

from typing import Callable, Iterator, List  # noqa: E402

from hazelcast.testing.members import HazelcastCluster  # noqa: E402


@pytest.fixture(scope="session")
def hazelcast_cluster() -> Iterator[HazelcastCluster]:
    """One real member shared by every test that does not change the cluster (started on first use)."""
    cluster = HazelcastCluster(size=1)
    try:
        cluster.start()
    except BaseException:
        cluster.shutdown(keep_logs=True)
        raise
    yield cluster
    cluster.shutdown()


@pytest.fixture
def cluster_factory() -> Iterator[Callable[..., HazelcastCluster]]:
    """Makes per-test clusters (for tests that kill, freeze or add members); all are stopped when the test ends,
    pass or fail. ``cluster_factory(size=3, properties={...})`` returns a started cluster."""
    made: List[HazelcastCluster] = []

    def make(size: int = 1, **kwargs) -> HazelcastCluster:
        cluster = HazelcastCluster(size=size, **kwargs)
        made.append(cluster)
        return cluster.start()

    yield make
    for cluster in made:
        cluster.shutdown()


@pytest.fixture
def serialization(codec):
    """A factory of ``SerializationService`` objects on the backend of the ``codec`` fixture."""
    from hazelcast.serialization import SerializationService

    def make(*serializers, **options):
        return SerializationService(list(serializers), codec=codec, **options)

    return make


# -- diagnostics for a hung test: `kill -USR1 <pytest pid>` prints every asyncio task's stack -----------------------

def _dump_asyncio_tasks(signum, frame) -> None:  # pragma: no cover - a debugging aid
    import asyncio
    import sys
    import traceback

    print("\n==== SIGUSR1: asyncio tasks ====", file=sys.stderr)
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    tasks = asyncio.all_tasks(loop) if loop is not None else set()
    for task in tasks:
        print(f"-- {task!r}", file=sys.stderr)
        task.print_stack(file=sys.stderr)
    print("==== main thread ====", file=sys.stderr)
    traceback.print_stack(frame, file=sys.stderr)
    sys.stderr.flush()


def pytest_configure(config: pytest.Config) -> None:
    import signal

    if hasattr(signal, "SIGUSR1"):
        signal.signal(signal.SIGUSR1, _dump_asyncio_tasks)


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_timeout_set_timer(item: pytest.Item, settings) -> object:  # pragma: no cover - a debugging aid
    """pytest-timeout's signal method, plus a dump of every asyncio task's stack before the test is failed, so a
    hang in CI says where it hangs."""
    import signal

    if settings.method != "signal" or not hasattr(signal, "SIGALRM"):
        return None

    def handler(signum, frame):
        _dump_asyncio_tasks(signum, frame)
        pytest.fail(f"Timeout >{settings.timeout}s", pytrace=False)

    signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, settings.timeout)
    return True


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_timeout_cancel_timer(item: pytest.Item) -> object:  # pragma: no cover
    import signal

    if hasattr(signal, "SIGALRM"):
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
    return True


# -- figures measured by functional tests (e.g. how long a failover switch took), shown in the terminal summary ------

MEASURED_ATTRIBUTE = "_hazelcast_measured"


@pytest.fixture(scope="session")
def measured(pytestconfig: pytest.Config) -> List[str]:
    """Lines of figures a test measured (not asserted: tests assert functional bounds only); the terminal summary
    prints them under "measured"."""
    lines = getattr(pytestconfig, MEASURED_ATTRIBUTE, None)
    if lines is None:
        lines = []
        setattr(pytestconfig, MEASURED_ATTRIBUTE, lines)
    return lines


def pytest_terminal_summary(terminalreporter: object, exitstatus: int, config: pytest.Config) -> None:
    lines = getattr(config, MEASURED_ATTRIBUTE, None)
    if lines:
        terminalreporter.section("measured")  # type: ignore[attr-defined]
        for line in lines:
            terminalreporter.write_line(line)  # type: ignore[attr-defined]
