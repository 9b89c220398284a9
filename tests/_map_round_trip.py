"""A full IMap round trip against a running cluster, for one backend per process (run by tests/test_map.py with and
without HAZELCAST_NO_EXTENSIONS=1). Prints one JSON line: the backend, the number of checks and how many passed.

Usage: python tests/_map_round_trip.py <cluster name> <member address>...
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
import uuid
from typing import Annotated, Any, List

import hazelcast
from hazelcast import HazelcastClient
from hazelcast.serialization import FieldKind, GenericRecordBuilder


@dataclasses.dataclass
class Item:
    __compact_type_name__ = "roundtrip.Item"
    sku: str
    count: Annotated[int, FieldKind.INT32]
    price: float
    tags: List[str]


async def main(cluster_name: str, members: List[str]) -> None:
    checks: List[bool] = []

    def check(condition: Any) -> None:
        checks.append(bool(condition))

    async with HazelcastClient(cluster_name=cluster_name, cluster_members=members) as client:
        m = await client.get_map("roundtrip-" + uuid.uuid4().hex[:8])
        events: List[Any] = []
        rid = await m.add_entry_listener(include_value=True, added_func=events.append, updated_func=events.append)
        item = Item("sku-1", 3, 9.5, ["a", "b"])
        check(await m.put("item", item) is None)
        check(await m.get("item") == item)
        check(await m.put("item", Item("sku-1", 4, 9.5, [])) == item)
        await m.set("s", "value")
        check(await m.get("s") == "value")
        check(await m.put_if_absent("s", "other") == "value")
        check(await m.replace("s", "replaced") == "value")
        check(await m.replace_if_same("s", "replaced", "again"))
        check(await m.contains_key("s") and await m.contains_value("again"))
        check(await m.remove_if_same("s", "again"))
        await m.put_all({i: f"v{i}" for i in range(50)})
        check(await m.size() == 51)
        check(await m.get_all([1, 2, 99]) == {1: "v1", 2: "v2"})
        check(len(await m.key_set()) == 51 and len(await m.values()) == 51 and len(await m.entry_set()) == 51)
        check(await m.remove(1) == "v1")
        await m.delete(2)
        check(not await m.contains_key(2))
        record = GenericRecordBuilder.compact("roundtrip.Generic").set_string("x", "y").build()
        await m.put("generic", record)
        check((await m.get("generic")).get_string("x") == "y")
        check(not await m.is_empty())
        for _ in range(200):
            if len(events) >= 56:
                break
            await asyncio.sleep(0.05)
        check(len(events) == 56 and events[0].value == item)
        check(await m.remove_entry_listener(rid))
        await m.clear()
        check(await m.is_empty())
        await m.destroy()
    print(json.dumps({"backend": hazelcast.BACKEND, "checks": len(checks), "ok": sum(checks),
                      "failed": [i for i, c in enumerate(checks) if not c]}))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2:]))
