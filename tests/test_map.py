"""IMap against a real member: every operation, keys and values of every kind, entry listeners, on both backends
(the pure backend in a subprocess), and interop with the official client 5.7.0."""

from __future__ import annotations

import asyncio
import datetime
import decimal
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any, Dict, List

import pytest

import hazelcast
from _clients import Address, Person, eventually, start_client
from hazelcast.errors import HazelcastSerializationError
from hazelcast.proxy.map import EntryEvent, EntryEventType, IMap, _millis
from hazelcast.serialization import GenericRecordBuilder, HazelcastJsonValue

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parent.parent
OFFICIAL_PYTHON = ROOT / ".venv-official" / "bin" / "python"
OFFICIAL_MAP_DRIVER = ROOT / "tests" / "official" / "map_driver.py"
ROUND_TRIP = ROOT / "tests" / "_map_round_trip.py"


@pytest.fixture
async def client(hazelcast_cluster):
    c = await start_client(hazelcast_cluster)
    yield c
    await c.shutdown()


@pytest.fixture
async def m(client, request) -> IMap:
    proxy = await client.get_map(f"map-{request.node.name}-{uuid.uuid4().hex[:6]}")
    yield proxy
    await proxy.destroy()


# -- single-key operations ----------------------------------------------------------------------------------------


async def test_put_get_set_remove_delete_contains(m):
    assert await m.get("k") is None
    assert await m.put("k", "v1") is None
    assert await m.put("k", "v2") == "v1"
    assert await m.get("k") == "v2"
    await m.set("k", "v3")
    assert await m.get("k") == "v3"
    assert await m.contains_key("k") and not await m.contains_key("nope")
    assert await m.contains_value("v3") and not await m.contains_value("v4")
    assert await m.remove("k") == "v3"
    assert await m.remove("k") is None
    await m.set("d", 1)
    assert await m.delete("d") is None
    assert not await m.contains_key("d")
    await m.delete("never")  # deleting a missing key is fine


async def test_conditional_operations(m):
    assert await m.put_if_absent("k", 1) is None
    assert await m.put_if_absent("k", 2) == 1
    assert await m.replace("missing", 5) is None and not await m.contains_key("missing")
    assert await m.replace("k", 3) == 1
    assert not await m.replace_if_same("k", 1, 9)
    assert await m.replace_if_same("k", 3, 4)
    assert await m.get("k") == 4
    assert not await m.remove_if_same("k", 3)
    assert await m.remove_if_same("k", 4)
    assert await m.is_empty()


async def test_whole_map_operations(m):
    entries = {f"k{i}": i for i in range(300)}
    await m.put_all(entries)
    await m.put_all({})
    assert await m.size() == 300 and not await m.is_empty()
    assert sorted(await m.key_set()) == sorted(entries)
    assert sorted(await m.values()) == sorted(entries.values())
    assert dict(await m.entry_set()) == entries
    wanted = [f"k{i}" for i in range(0, 300, 7)] + ["absent"]
    got = await m.get_all(wanted)
    assert got == {k: entries[k] for k in wanted if k in entries}
    assert await m.get_all([]) == {}
    await m.clear()
    assert await m.size() == 0 and await m.is_empty()


async def test_ttl_and_max_idle(m):
    await m.put("ttl", "x", ttl=1)
    await m.set("ttl2", "x", ttl=0.5)
    await m.put("idle", "x", max_idle=1)
    await m.set("idle2", "x", max_idle=1, ttl=0)
    await m.put_if_absent("pia", "x", ttl=1)
    await m.put_if_absent("pia2", "x", max_idle=1)
    await m.put("forever", "x", ttl=0)
    assert await m.size() == 7
    await asyncio.sleep(2.0)  # untouched: past every ttl and max idle (reading would reset the idle clock)
    for key in ("ttl", "ttl2", "idle", "idle2", "pia", "pia2"):
        assert await m.get(key) is None, key
    assert await m.get("forever") == "x"


def test_durations_in_milliseconds():
    assert _millis(None, "ttl") == -1
    assert _millis(0, "ttl") == 0 and _millis(float("inf"), "ttl") == 0
    assert _millis(1.5, "ttl") == 1500 and _millis(0.0001, "ttl") == 1
    assert _millis(-3, "ttl") == -1
    for bad in ("1", True, float("nan")):
        with pytest.raises(ValueError, match="ttl"):
            _millis(bad, "ttl")  # type: ignore[arg-type]


async def test_bad_arguments(m):
    with pytest.raises(ValueError, match="key can't be None"):
        await m.put(None, 1)
    with pytest.raises(ValueError, match="value can't be None"):
        await m.set("k", None)
    with pytest.raises(TypeError, match="mapping"):
        await m.put_all([("k", 1)])  # type: ignore[arg-type]
    with pytest.raises(HazelcastSerializationError):
        await m.put("k", object())
    with pytest.raises(ValueError, match="listener function"):
        await m.add_entry_listener()
    with pytest.raises(TypeError, match="callable"):
        await m.add_entry_listener(added_func=42)  # type: ignore[arg-type]
    assert not await m.remove_entry_listener("not-a-uuid")
    assert not await m.remove_entry_listener(str(uuid.uuid4()))


# -- keys and values of every kind ------------------------------------------------------------------------------

VALUES: List[Any] = [
    True,
    -7,
    2**40,
    3.25,
    "text",
    "ünïcödé ✓",
    "",
    b"\x00\x01bytes",
    uuid.UUID("12345678-1234-5678-1234-567812345678"),
    [1, "two", 3.0, None],
    decimal.Decimal("-12.345"),
    datetime.date(2024, 2, 29),
    datetime.time(13, 14, 15, 123000),
    datetime.datetime(2024, 1, 2, 3, 4, 5, 6000),
    datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone(datetime.timedelta(hours=2))),
    HazelcastJsonValue({"a": [1, 2]}),
    Person("Ada", 36, ["math"]),
    Address("Main St", 12345),
]


async def test_every_kind_round_trips_as_key_and_value(client, m):
    for i, value in enumerate(VALUES):
        if isinstance(value, int) and not isinstance(value, bool) and value > 2**31:
            continue  # the default int type is INT (Java Integer); bigger ints need IntType.LONG
        await m.put(f"value-{i}", value)
        got = await m.get(f"value-{i}")
        if isinstance(value, HazelcastJsonValue):
            assert got.loads() == value.loads()
        else:
            assert got == value, (i, value, got)
        if isinstance(value, (list, HazelcastJsonValue)):
            continue  # unhashable / not a sensible key
        await m.put(value, i)
        assert await m.get(value) == i
        assert await m.contains_key(value)


async def test_generic_records_and_big_ints(hazelcast_cluster):
    client = await start_client(hazelcast_cluster, default_int_type=hazelcast.serialization.IntType.LONG)
    try:
        m = await client.get_map("generic-" + uuid.uuid4().hex[:6])
        record = (GenericRecordBuilder.compact("client.Generic").set_string("name", "gr")
                  .set_int64("n", 2**40).build())
        await m.put("g", record)
        back = await m.get("g")
        assert back.get_string("name") == "gr" and back.get_int64("n") == 2**40
        await m.put(2**40, 2**50)
        assert await m.get(2**40) == 2**50
        await m.destroy()
    finally:
        await client.shutdown()


# -- entry listeners ----------------------------------------------------------------------------------------------


async def test_entry_listener_with_and_without_values(m):
    with_values: List[EntryEvent] = []
    without: List[EntryEvent] = []
    rid = await m.add_entry_listener(include_value=True, added_func=with_values.append,
                                     updated_func=with_values.append, removed_func=with_values.append)
    rid2 = await m.add_entry_listener(added_func=without.append, removed_func=without.append)
    await m.put("k", Person("Ada", 36, []))
    await m.put("k", Person("Ada", 37, []))
    await m.remove("k")
    await eventually(lambda: len(with_values) == 3 and len(without) == 2)
    added, updated, removed = with_values
    assert (added.event_type, updated.event_type, removed.event_type) == (
        EntryEventType.ADDED, EntryEventType.UPDATED, EntryEventType.REMOVED)
    assert added.key == "k" and added.value == Person("Ada", 36, []) and added.old_value is None
    assert updated.value.age == 37 and updated.old_value.age == 36
    assert removed.value is None and removed.old_value.age == 37
    assert added.name == m.name and added.uuid is not None and added.number_of_affected_entries == 1
    assert [e.event_type for e in without] == [EntryEventType.ADDED, EntryEventType.REMOVED]
    assert without[0].key == "k" and without[0].value is None
    assert await m.remove_entry_listener(rid) and await m.remove_entry_listener(rid2)
    assert not await m.remove_entry_listener(rid)
    await m.put("after", 1)
    await asyncio.sleep(0.3)
    assert len(with_values) == 3 and len(without) == 2


async def test_key_bound_listener_and_eviction(m):
    events: List[EntryEvent] = []
    evicted: List[EntryEvent] = []
    expired: List[EntryEvent] = []
    await m.add_entry_listener(key=Address("Main St", 1), include_value=True, added_func=events.append)
    await m.add_entry_listener(evicted_func=evicted.append, expired_func=expired.append, clear_all_func=events.append)
    await m.put(Address("Other St", 2), "other")
    await m.put(Address("Main St", 1), "main")
    await m.put("short-lived", 1, ttl=0.5)
    await eventually(lambda: events and (evicted or expired), timeout=30)
    assert [e.key for e in events] == [Address("Main St", 1)] and events[0].value == "main"
    event = (evicted or expired)[0]
    assert event.key == "short-lived"
    await m.clear()
    await eventually(lambda: any(e.event_type == EntryEventType.CLEAR_ALL for e in events))


async def test_a_failing_listener_function_does_not_stop_the_next_events(m, caplog):
    seen: List[Any] = []

    def flaky(event: EntryEvent) -> None:
        seen.append(event.key)
        if event.key == "bad":
            raise RuntimeError("listener bug")

    await m.add_entry_listener(added_func=flaky)
    await m.put("bad", 1)
    await m.put("good", 2)
    await eventually(lambda: seen == ["bad", "good"] or sorted(seen) == ["bad", "good"])
    assert "listener bug" in caplog.text or any("failed" in r.message for r in caplog.records)


# -- proxies ------------------------------------------------------------------------------------------------------


async def test_proxies_are_shared_and_destroy_drops_the_data(client):
    name = "proxy-" + uuid.uuid4().hex[:6]
    first = await client.get_map(name)
    assert await client.get_map(name) is first and repr(first) == f"IMap(name={name!r})"
    both = await asyncio.gather(client.get_map(name + "-x"), client.get_map(name + "-x"))
    assert both[0] is both[1]
    await first.put("k", 1)
    await first.destroy()
    again = await client.get_map(name)
    assert again is not first and await again.size() == 0
    await again.destroy()
    with pytest.raises(ValueError, match="name"):
        await client.get_map("")


# -- both backends ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["compiled", "python"])
def test_full_round_trip_on_each_backend(hazelcast_cluster, backend):
    """A subprocess per backend runs tests/_map_round_trip.py: every IMap operation, Compact values, a listener."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("HAZELCAST_NO_EXTENSIONS", None)
    if backend == "python":
        env["HAZELCAST_NO_EXTENSIONS"] = "1"
    else:
        env["HAZELCAST_REQUIRE_EXTENSIONS"] = "1"
    done = subprocess.run(
        [sys.executable, str(ROUND_TRIP), hazelcast_cluster.cluster_name, *hazelcast_cluster.addresses],
        capture_output=True, text=True, timeout=300, env=env, cwd=str(ROOT),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["backend"] == backend
    assert report["ok"] == report["checks"] and report["checks"] >= 19


# -- interop with the official client ----------------------------------------------------------------------------


def run_official_map_driver(cluster: Any, command: Dict[str, Any]) -> Dict[str, Any]:
    if not OFFICIAL_PYTHON.exists():
        pytest.fail(f"{OFFICIAL_PYTHON} is missing: run scripts/setup_official_client.sh (scripts/test.sh does)")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    command = dict(command, cluster_name=cluster.cluster_name, members=cluster.addresses)
    done = subprocess.run([str(OFFICIAL_PYTHON), "-E", "-s", str(OFFICIAL_MAP_DRIVER)], input=json.dumps(command),
                          capture_output=True, text=True, timeout=300, env=env, cwd=str(OFFICIAL_MAP_DRIVER.parent))
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout)


async def test_official_client_reads_what_we_write_and_we_read_what_it_writes(hazelcast_cluster, client):
    ours = await client.get_map("interop-ours-" + uuid.uuid4().hex[:6])
    await ours.put("s", "string from hazelcast-aio")
    await ours.put("i", 123456)
    await ours.put(7, "int key")
    await ours.put("person", Person("Grace", 85, ["navy", "cobol"]))
    read = run_official_map_driver(hazelcast_cluster, {"read": ours.name})
    assert read["entries"]["s"] == "string from hazelcast-aio"
    assert read["entries"]["i"] == 123456
    assert read["entries"]["int:7"] == "int key"
    assert read["entries"]["person"] == {"name": "Grace", "age": 85, "tags": ["navy", "cobol"]}

    theirs = "interop-theirs-" + uuid.uuid4().hex[:6]
    run_official_map_driver(hazelcast_cluster, {"write": theirs})
    m = await client.get_map(theirs)
    assert await m.get("s") == "string from the official client"
    assert await m.get("i") == 654321
    assert await m.get(9) == "int key"
    assert await m.get("person") == Person("Alan", 41, ["enigma"])  # this client already wrote a Person
    unknown = await m.get("address")  # no class known for client.Address here: a GenericRecord
    assert (unknown.get_string("street"), unknown.get_int32("zip_code")) == ("Bletchley Park", 908)
    registered = await start_client(hazelcast_cluster, compact_serializers=[Person, Address])
    try:
        again = await registered.get_map(theirs)
        assert await again.get("address") == Address("Bletchley Park", 908)
        assert await again.get("person") == Person("Alan", 41, ["enigma"])
    finally:
        await registered.shutdown()
    await ours.destroy()
    await m.destroy()


# -- values whose schema this client does not know yet -----------------------------------------------------------


def record(type_name: str, value: int) -> Any:
    return GenericRecordBuilder.compact(type_name).set_int32("v", value).build()


async def test_every_read_fetches_unknown_schemas(hazelcast_cluster):
    writer = await start_client(hazelcast_cluster)
    reader = await start_client(hazelcast_cluster)
    tag = uuid.uuid4().hex[:8]
    try:
        name = "unknown-" + tag
        w = await writer.get_map(name)
        r = await reader.get_map(name)
        events: List[EntryEvent] = []
        await r.add_entry_listener(include_value=True, added_func=events.append, updated_func=events.append)

        async def fresh(key: str, n: int) -> None:
            await w.put(key, record(f"fetch.{tag}.{key}", n))

        def v(obj: Any) -> int:
            return obj.get_int32("v")

        await fresh("get", 1)
        assert v(await r.get("get")) == 1
        await fresh("put", 2)
        assert v(await r.put("put", "x")) == 2
        await fresh("remove", 3)
        assert v(await r.remove("remove")) == 3
        await fresh("replace", 4)
        assert v(await r.replace("replace", "x")) == 4
        await fresh("pia", 5)
        assert v(await r.put_if_absent("pia", "x")) == 5
        await fresh("values", 6)
        assert 6 in [v(x) for x in await r.values() if not isinstance(x, str)]
        await fresh("entries", 7)
        assert 7 in [v(x) for _, x in await r.entry_set() if not isinstance(x, str)]
        await fresh("all", 8)
        assert v((await r.get_all(["all"]))["all"]) == 8
        await w.put(record(f"fetch.{tag}.key", 9), "keyed")  # an unknown schema in a key
        assert any(not isinstance(k, str) and v(k) == 9 for k in await r.key_set())
        # events: the first one waits for its schema, the later ones wait behind it (arrival order kept)
        await eventually(lambda: len(events) >= 11)
        keys = [e.key if isinstance(e.key, str) else "record-key" for e in events]
        assert keys[:2] == ["get", "put"] and "record-key" in keys
        assert v(events[0].value) == 1
        await w.destroy()
    finally:
        await writer.shutdown()
        await reader.shutdown()


async def test_a_proxy_the_cluster_refuses_is_not_kept(client):
    from hazelcast.errors import RemoteError
    from hazelcast.proxy.base import Proxy

    class Bogus(Proxy):
        service_name = "hz:impl:noSuchService"

    manager = client._proxies
    with pytest.raises(RemoteError):
        await manager.get_or_create(Bogus, "x")
    with pytest.raises(RemoteError):  # tried again, not cached
        await manager.get_or_create(Bogus, "x")
    pending = asyncio.ensure_future(manager.get_or_create(Bogus, "y"))
    await asyncio.sleep(0)
    pending.cancel()
    with pytest.raises(asyncio.CancelledError):
        await pending
    assert all(not isinstance(p, Bogus) for p in manager.proxies())
