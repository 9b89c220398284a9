"""Packaging: the sdist carries the .pyx sources, ``pip install`` builds the extensions, an install without a C
compiler still succeeds and runs pure Python, and cibuildwheel knows the wheels to build."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.packaging

ROOT = Path(__file__).resolve().parent.parent
CHECK = (
    "import hazelcast, hazelcast.protocol as p; "
    "m = p.ClientMessage.create_request(0xB00); m.correlation_id = 7; "
    "(back,) = p.MessageReader().feed(m.to_bytes()); assert back.correlation_id == 7; "
    "print(hazelcast.BACKEND)"
)


def _clean_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAZELCAST_") and k != "PYTHONPATH"}
    env.update(extra)
    return env


def _run(cmd, cwd, env, timeout=900):
    r = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, f"{cmd} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r


@pytest.fixture(scope="module")
def dists(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)], cwd=out,
         env=_clean_env(HAZELCAST_REQUIRE_EXTENSIONS="1"))
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    return {"sdist": sdist, "wheel": wheel}


def _fresh_venv(path: Path) -> Path:
    _run([sys.executable, "-m", "venv", str(path)], cwd=path.parent, env=_clean_env())
    return path / "bin" / "python"


def test_sdist_carries_the_pyx_sources(dists):
    with tarfile.open(dists["sdist"]) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    assert {"src/_codec.pyx", "src/_framing.pyx", "setup.py", "pyproject.toml", "hazelcast/_flags.py",
            "hazelcast/py.typed", "README.md"} <= names
    assert not any(n.endswith((".c", ".so")) for n in names)


def test_wheel_has_the_compiled_modules(dists):
    with zipfile.ZipFile(dists["wheel"]) as whl:
        names = set(whl.namelist())
    assert any(n.startswith("hazelcast/_framing.") and n.endswith(".so") for n in names)
    assert any(n.startswith("hazelcast/_codec.") and n.endswith(".so") for n in names)
    assert {"hazelcast/_framing_py.py", "hazelcast/_codec_py.py", "hazelcast/py.typed"} <= names
    assert not any(n.endswith((".pyx", ".c")) for n in names)


def test_pip_install_from_sdist_builds_the_extensions(dists, tmp_path):
    python = _fresh_venv(tmp_path / "venv")
    _run([str(python), "-m", "pip", "install", "-q", str(dists["sdist"])], cwd=tmp_path,
         env=_clean_env(HAZELCAST_REQUIRE_EXTENSIONS="1"))
    r = _run([str(python), "-c", CHECK], cwd=tmp_path, env=_clean_env(HAZELCAST_REQUIRE_EXTENSIONS="1"))
    assert r.stdout.strip() == "compiled"


def test_install_without_a_compiler_falls_back_to_pure_python(dists, tmp_path):
    python = _fresh_venv(tmp_path / "venv")
    r = _run([str(python), "-m", "pip", "install", "-v", str(dists["sdist"])], cwd=tmp_path,
             env=_clean_env(CC="false", CXX="false"))
    assert "installing the pure-Python fallback" in r.stdout + r.stderr
    r = _run([str(python), "-c", CHECK], cwd=tmp_path, env=_clean_env())
    assert r.stdout.strip() == "python"


def test_required_extensions_make_a_compiler_failure_fatal(dists, tmp_path):
    python = _fresh_venv(tmp_path / "venv")
    r = subprocess.run([str(python), "-m", "pip", "install", "-q", str(dists["sdist"])], cwd=tmp_path,
                       env=_clean_env(CC="false", CXX="false", HAZELCAST_REQUIRE_EXTENSIONS="1"),
                       capture_output=True, text=True, timeout=900)
    assert r.returncode != 0


@pytest.mark.parametrize("platform,expected", [
    ("linux", {"cp311-manylinux_x86_64", "cp314-manylinux_aarch64", "cp311-musllinux_x86_64",
               "cp313-musllinux_aarch64"}),
    ("macos", {"cp311-macosx_x86_64", "cp314-macosx_arm64"}),
    ("windows", {"cp311-win_amd64", "cp314-win_amd64"}),
])
def test_cibuildwheel_build_identifiers(platform, expected):
    cibuildwheel = Path(sys.executable).parent / "cibuildwheel"
    r = _run([str(cibuildwheel), "--print-build-identifiers", "--platform", platform], cwd=ROOT, env=_clean_env())
    identifiers = set(r.stdout.split())
    assert expected <= identifiers
    assert not any(i.startswith(("pp", "cp310", "cp39", "cp38")) for i in identifiers)


def test_installed_wheel_passes_the_cibuildwheel_test_command(dists, tmp_path):
    """What cibuildwheel runs in each wheel's environment: the non-integration tests against the installed wheel
    (never the source tree), from a temporary directory."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["cibuildwheel"]
    python = _fresh_venv(tmp_path / "venv")
    env = _clean_env(**config["test-environment"])
    _run([str(python), "-m", "pip", "install", "-q", str(dists["wheel"]), *config["test-requires"]], cwd=tmp_path,
         env=env)
    command = config["test-command"].replace("{project}", str(ROOT)).replace("pytest", f"{python} -m pytest", 1)
    workdir = tmp_path / "run"
    workdir.mkdir()
    r = subprocess.run(command, shell=True, cwd=workdir, env=env, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert " passed" in r.stdout and "skipped" not in r.stdout.splitlines()[-1]
    header = next(line for line in r.stdout.splitlines() if line.startswith("hazelcast-aio backend:"))
    assert header.startswith("hazelcast-aio backend: compiled, package: " + str(tmp_path / "venv"))
