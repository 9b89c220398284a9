"""The member launcher: the pinned jar, configs, free ports, start / kill / freeze / restart of real members."""

import socket
import os
import subprocess

import pytest

from hazelcast.testing import members as m


def test_jar_is_cached_and_fetch_is_idempotent():
    path = m.fetch_hazelcast_jar()
    assert path == m.jar_path() and path.is_file()
    assert path.name == f"hazelcast-{m.HAZELCAST_VERSION}.jar" and m.HAZELCAST_VERSION == "5.7.0"
    before = path.stat().st_mtime_ns
    assert m.fetch_hazelcast_jar() == path
    assert path.stat().st_mtime_ns == before


def test_cache_dir_override(tmp_path, monkeypatch):
    monkeypatch.setenv(m.CACHE_DIR_VAR, str(tmp_path))
    assert m.cache_dir() == tmp_path
    assert m.jar_path("1.2.3") == tmp_path / "hazelcast-1.2.3.jar"


def test_fetch_without_maven_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv(m.CACHE_DIR_VAR, str(tmp_path))
    monkeypatch.setattr(m.shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="Maven"):
        m.fetch_hazelcast_jar()


def test_fetch_failure_reports_maven_output(tmp_path, monkeypatch):
    monkeypatch.setenv(m.CACHE_DIR_VAR, str(tmp_path))
    monkeypatch.setattr(m.shutil, "which", lambda name: "/bin/false" if name == "mvn" else None)
    with pytest.raises(RuntimeError, match="mvn dependency:copy of hazelcast 0.0.0-none failed"):
        m.fetch_hazelcast_jar("0.0.0-none")
    assert not list(tmp_path.glob("fetch-*"))


def test_fetch_copies_the_jar_with_maven(tmp_path, monkeypatch):
    # a stand-in "mvn" that copies the cached jar where it was told: exercises the copy-and-rename path offline
    real = m.fetch_hazelcast_jar()
    fake = tmp_path / "mvn"
    fake.write_text(f'#!/bin/sh\nfor a in "$@"; do case "$a" in -DoutputDirectory=*) cp {real} "${{a#*=}}/";; esac; done\n')
    fake.chmod(0o755)
    cache = tmp_path / "cache"
    monkeypatch.setenv(m.CACHE_DIR_VAR, str(cache))
    monkeypatch.setattr(m.shutil, "which", lambda name: str(fake))
    assert m.fetch_hazelcast_jar() == cache / real.name
    assert (cache / real.name).stat().st_size == real.stat().st_size


def test_main_fetch_and_usage(capsys):
    assert m._main(["fetch"]) == 0
    assert capsys.readouterr().out.strip() == str(m.jar_path())
    assert m._main([]) == 2


@pytest.mark.integration
def test_script_fetches_the_jar():
    script = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts", "fetch_hazelcast.sh")
    out = subprocess.run([script], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith(f"hazelcast-{m.HAZELCAST_VERSION}.jar")


def test_free_port_is_bindable():
    port = m.free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))
    assert not m.port_accepts(port)


def test_member_xml():
    xml = m.member_xml("c<1>", 5801, [5801, 5802], {"a": "b&c"})
    assert "<cluster-name>c&lt;1&gt;</cluster-name>" in xml
    assert '<port auto-increment="false">5801</port>' in xml
    assert "<member>127.0.0.1:5802</member>" in xml
    assert '<multicast enabled="false"/>' in xml and '<auto-detection enabled="false"/>' in xml
    assert '<property name="a">b&amp;c</property>' in xml
    assert "<interface>127.0.0.1</interface>" in xml


def test_negative_size_rejected():
    with pytest.raises(ValueError):
        m.HazelcastCluster(size=-1)


def test_member_xml_for_another_loopback_address():
    xml = m.member_xml("c", 5801, [5801], {}, host="127.0.0.3")
    assert '<interfaces enabled="false"/>' in xml and "<interface>" not in xml
    assert '<property name="hazelcast.local.localAddress">127.0.0.3</property>' in xml
    assert "<member>127.0.0.3:5801</member>" in xml


def test_members_bind_to_loopback_only_and_take_one_port_each():
    with pytest.raises(ValueError, match="loopback"):
        m.HazelcastCluster(size=1, host="10.0.0.1")
    with pytest.raises(ValueError, match="2 ports given for 1 members"):
        m.HazelcastCluster(size=1, ports=[5801, 5802])


@pytest.mark.integration
async def test_member_lifecycle(cluster_factory):
    cluster = cluster_factory(size=1)
    member = cluster.members[0]
    assert member.is_running and m.port_accepts(member.port)
    assert "is STARTED" in member.log_text() and cluster.cluster_name in member.log_text()
    assert cluster.running_members == [member] and cluster.addresses == [member.address]
    with pytest.raises(RuntimeError, match="already running"):
        member.start()
    member._log_offset = member.log_path.stat().st_size  # "is STARTED" is not in the log from here on
    with pytest.raises(m.MemberStartError, match="not ready after 0.2 s"):
        member.wait_ready(0.2)
    with pytest.raises(m.MemberStartError, match="not ready after 0.2 s"):
        await member.wait_ready_async(0.2)
    member.kill()
    assert not member.is_running and not m.port_accepts(member.port)
    member.kill()  # idempotent
    member.start()
    await member.wait_ready_async(60)
    assert m.port_accepts(member.port) and member.pid is not None and repr(member).startswith("Member(")
    member.freeze()
    member.thaw()
    member.restart()
    member.wait_ready(60)
    assert m.port_accepts(member.port)
    joined = await cluster.add_member_async(60)
    assert "Members {size:2" in joined.log_text()
    assert len(cluster.running_members) == 2
    cluster.shutdown()
    assert not cluster.running_members and not cluster.workdir.exists()
    assert "HazelcastCluster(" in repr(cluster)


@pytest.mark.integration
def test_start_failures_are_reported(cluster_factory, tmp_path):
    cluster = m.HazelcastCluster(size=1, jvm_options=["-Xmx1k"])  # the JVM refuses to start
    try:
        with pytest.raises(m.MemberStartError, match="exited with"):
            cluster.start(timeout=60)
    finally:
        cluster.shutdown()
    never = m.Member(cluster, m.free_port(), [])
    with pytest.raises(m.MemberStartError, match="never started"):
        never.wait_ready(1)
    assert never.log_text() == "" and never.pid is None
    never.stop()  # no process: nothing to do


@pytest.mark.integration
def test_context_manager_and_sigkill_fallback(monkeypatch):
    with m.HazelcastCluster(size=1) as cluster:
        member = cluster.members[0]
        assert member.is_running
        member.freeze()
        # a stop that times out escalates to SIGKILL
        monkeypatch.setattr(member, "_signal", lambda sig: None)
        member.stop(timeout=0.2)
        assert not member.is_running
    assert not cluster.workdir.exists()


def test_context_manager_keeps_logs_on_failure(monkeypatch):
    cluster_holder = {}

    def boom(self, timeout=120.0):
        cluster_holder["c"] = self
        raise RuntimeError("boom")

    monkeypatch.setattr(m.HazelcastCluster, "start", boom)
    with pytest.raises(RuntimeError, match="boom"):
        with m.HazelcastCluster(size=1):
            pass
    assert cluster_holder["c"].workdir.exists()
    import shutil

    shutil.rmtree(cluster_holder["c"].workdir)


def test_kill_all_at_exit(monkeypatch):
    proc = subprocess.Popen(["sleep", "30"])
    monkeypatch.setattr(m, "_RUNNING", {proc.pid: proc})  # leave the members of other tests alone
    m._kill_all_at_exit()
    assert proc.poll() is not None and m._RUNNING == {}
