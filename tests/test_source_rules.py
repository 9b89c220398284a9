"""Rules of the house that a grep can check."""

from __future__ import annotations

import pathlib
import re

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "hazelcast"


def sources():
    return sorted(p for p in PACKAGE.rglob("*.py"))


def test_no_asyncio_wait_for():
    """Python 3.11's asyncio.wait_for can hang a task whose cancellation races the timeout (CPython gh-86296);
    the package uses asyncio.timeout() instead."""
    offenders = [f"{p.relative_to(PACKAGE.parent)}:{i}" for p in sources()
                 for i, line in enumerate(p.read_text().splitlines(), 1) if re.search(r"\bwait_for\(", line)]
    assert offenders == []


def test_package_is_typed_and_documented():
    assert (PACKAGE / "py.typed").exists()
    undocumented = [str(p.relative_to(PACKAGE.parent)) for p in sources()
                    if p.stat().st_size and not re.match(r'\s*(#.*\n\s*)*(from __future__[^\n]*\n\s*)?[rRbB]?"""',
                                                         p.read_text())]
    assert undocumented == []
