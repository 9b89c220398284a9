"""Backend selection: flags, the silent-fallback guard, and the public ``hazelcast.BACKEND``."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import hazelcast
from hazelcast import _backend
from hazelcast._flags import NO_EXTENSIONS_VAR, REQUIRE_EXTENSIONS_VAR, flag_enabled

# where the imported package lives (the source tree, or site-packages when testing an installed wheel)
PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(hazelcast.__file__)))


@pytest.mark.parametrize("value", ["", "0", "false", "FALSE", "no", "off", " Off ", "No"])
def test_flag_off_values(value: str) -> None:
    assert flag_enabled("X", {"X": value}) is False


@pytest.mark.parametrize("value", ["1", "true", "yes", "on", "2", "anything"])
def test_flag_on_values(value: str) -> None:
    assert flag_enabled("X", {"X": value}) is True


def test_flag_unset_is_off() -> None:
    assert flag_enabled("X", {}) is False


def test_compiled_extensions_loaded_when_required() -> None:
    """The guard: with HAZELCAST_REQUIRE_EXTENSIONS=1 the compiled modules must be the ones in use."""
    if not flag_enabled(REQUIRE_EXTENSIONS_VAR) or flag_enabled(NO_EXTENSIONS_VAR):
        pytest.skip("only meaningful when HAZELCAST_REQUIRE_EXTENSIONS=1 and extensions are not disabled")
    from hazelcast import _codec, _framing  # noqa: F401  (ImportError fails the test)

    assert hazelcast.BACKEND == "compiled"
    assert _backend.framing is _framing
    assert _backend.codec is _codec
    assert _framing.__file__.endswith((".so", ".pyd"))


def test_backend_value_is_consistent() -> None:
    assert hazelcast.BACKEND in ("compiled", "python")
    assert _backend.COMPILED == (hazelcast.BACKEND == "compiled")
    expected = "hazelcast._framing_py" if hazelcast.BACKEND == "python" else "hazelcast._framing"
    assert _backend.framing.__name__ == expected


def _run(code: str, **env: str) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k not in (NO_EXTENSIONS_VAR, REQUIRE_EXTENSIONS_VAR)}
    full_env.update(env)
    full_env["PYTHONPATH"] = PACKAGE_PARENT + os.pathsep + full_env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-c", code], env=full_env, capture_output=True, text=True, timeout=60)


def test_no_extensions_forces_python() -> None:
    r = _run("import hazelcast, hazelcast.protocol as p; print(hazelcast.BACKEND, p.MessageReader.__module__)",
             HAZELCAST_NO_EXTENSIONS="1")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["python", "hazelcast._framing_py"]


def test_no_extensions_wins_over_require() -> None:
    r = _run("import hazelcast; print(hazelcast.BACKEND)", HAZELCAST_NO_EXTENSIONS="yes",
             HAZELCAST_REQUIRE_EXTENSIONS="1")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "python"


def test_zero_means_off_at_run_time(framing_pair) -> None:
    r = _run("import hazelcast; print(hazelcast.BACKEND)", HAZELCAST_NO_EXTENSIONS="0")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "compiled"


BLOCK_COMPILED = "import sys; sys.modules['hazelcast._framing'] = None; sys.modules['hazelcast._codec'] = None; "


def test_missing_extension_falls_back_silently_by_default() -> None:
    r = _run(BLOCK_COMPILED + "import hazelcast; print(hazelcast.BACKEND)")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "python"


def test_missing_extension_is_an_import_error_when_required() -> None:
    r = _run(BLOCK_COMPILED + "import hazelcast", HAZELCAST_REQUIRE_EXTENSIONS="1")
    assert r.returncode != 0
    assert "ImportError" in r.stderr and REQUIRE_EXTENSIONS_VAR in r.stderr


def _api(module):
    out = set()
    for name, obj in vars(module).items():
        if name.startswith("_"):
            continue
        if isinstance(obj, int) and name.isupper():
            out.add(name)
        elif getattr(obj, "__module__", None) == module.__name__:
            out.add(name)
    return out


def _methods(cls):
    return {m for m in dir(cls) if not m.startswith("_")}


def test_pure_and_compiled_expose_the_same_api(framing_pair, codec_pair) -> None:
    for compiled, pure in (framing_pair, codec_pair):
        assert _api(compiled) == _api(pure)
        for name in _api(pure):
            obj = getattr(pure, name)
            if isinstance(obj, type):
                assert _methods(getattr(compiled, name)) == _methods(obj), name
            elif isinstance(obj, int):
                assert getattr(compiled, name) == obj, name


def test_load_prefers_pure_when_disabled(monkeypatch) -> None:
    from hazelcast import _codec_py, _framing_py

    monkeypatch.setattr(_backend, "NO_EXTENSIONS", True)
    assert _backend._load() == (_framing_py, _codec_py, "python")


def test_load_falls_back_or_fails_in_process(monkeypatch) -> None:
    from hazelcast import _codec_py, _framing_py

    monkeypatch.setattr(_backend, "NO_EXTENSIONS", False)
    monkeypatch.setitem(sys.modules, "hazelcast._framing", None)
    monkeypatch.delattr(hazelcast, "_framing", raising=False)
    monkeypatch.setattr(_backend, "REQUIRE_EXTENSIONS", False)
    assert _backend._load() == (_framing_py, _codec_py, "python")
    monkeypatch.setattr(_backend, "REQUIRE_EXTENSIONS", True)
    with pytest.raises(ImportError, match=REQUIRE_EXTENSIONS_VAR):
        _backend._load()


def test_load_compiled_when_available(monkeypatch, framing_pair, codec_pair) -> None:
    monkeypatch.setattr(_backend, "NO_EXTENSIONS", False)
    assert _backend._load() == (framing_pair[0], codec_pair[0], "compiled")


def test_public_protocol_namespace_uses_the_backend() -> None:
    import hazelcast.protocol as protocol

    assert protocol.MessageReader is _backend.framing.MessageReader
    assert protocol.ClientMessage is _backend.framing.ClientMessage
    assert protocol.ProtocolError is hazelcast.ProtocolError
    assert protocol.IS_FINAL_FLAG == 0x2000
    (msg,) = protocol.MessageReader().feed(bytes.fromhex("1600000000e0000b00000700000000000000ffffffff"))
    assert msg.correlation_id == 7
