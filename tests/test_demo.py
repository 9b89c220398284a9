"""The main job (python -m hazelcast.demo) against a real member, on both backends, and its command line."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

import hazelcast
from hazelcast import demo

ROOT = Path(__file__).resolve().parent.parent


def test_command_line_defaults_and_errors(capsys):
    args = demo.parse_args([])
    assert (args.records, args.concurrency, args.cluster, args.cluster_name) == (100_000, 64, [], None)
    args = demo.parse_args(["--cluster", "10.0.0.1:5701", "--cluster", "10.0.0.2", "--cluster-name", "prod",
                            "-n", "5", "-c", "2", "--keep", "--no-progress"])
    assert args.cluster == ["10.0.0.1:5701", "10.0.0.2"] and args.cluster_name == "prod" and args.keep
    for bad in (["-n", "0"], ["-c", "0"]):
        with pytest.raises(SystemExit):
            demo.parse_args(bad)
    assert "must be >= 1" in capsys.readouterr().err


def test_records_are_deterministic_and_progress_prints_deciles():
    assert demo.make_order(7) == demo.make_order(7) and demo.make_order(7) != demo.make_order(8)
    out = io.StringIO()
    progress = demo.Progress("write", 100, out, True)
    for done in range(0, 101, 5):
        progress.update(done)
    progress.finish()
    lines = out.getvalue().splitlines()
    assert len(lines) == 10 and lines[-1].strip().startswith("write") and "100/100" in lines[-1]
    silent = io.StringIO()
    demo.Progress("read", 10, silent, False).update(10)
    assert silent.getvalue() == ""


@pytest.mark.integration
async def test_demo_against_an_existing_cluster(hazelcast_cluster):
    args = demo.parse_args(["--cluster", hazelcast_cluster.addresses[0], "--cluster-name",
                            hazelcast_cluster.cluster_name, "-n", "500", "-c", "8", "--map", "demo-test"])
    out = io.StringIO()
    assert await demo.run(args, out) == 0
    text = out.getvalue()
    assert f"backend: {hazelcast.BACKEND}" in text and "verified 500 of 500 records: OK" in text
    assert "| write | 500 |" in text and "| read | 500 |" in text


@pytest.mark.integration
@pytest.mark.parametrize("backend", ["compiled", "python"])
def test_the_main_job_starts_its_own_member_on_each_backend(backend):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("HAZELCAST_NO_EXTENSIONS", None)
    if backend == "python":
        env["HAZELCAST_NO_EXTENSIONS"] = "1"
    done = subprocess.run([sys.executable, "-m", "hazelcast.demo", "-n", "2000", "-c", "16"], capture_output=True,
                          text=True, timeout=600, env=env, cwd=str(ROOT))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"backend: {backend}" in done.stdout and "verified 2,000 of 2,000 records: OK" in done.stdout
    assert "starting a local Hazelcast 5.7.0 member" in done.stdout
