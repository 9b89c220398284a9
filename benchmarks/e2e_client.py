"""Our side of the end-to-end benchmark: runs the shared workload (e2e_workload.py) with hazelcast-aio and prints
one JSON object. The backend is chosen by the environment (HAZELCAST_NO_EXTENSIONS=1 for the pure twins).

Usage: python benchmarks/e2e_client.py <cluster name> <member address> <seconds per scenario> <warm-up seconds>
"""

import asyncio
import dataclasses
import json
import os
import sys
from typing import Annotated, List, Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import e2e_workload as w  # noqa: E402

import hazelcast  # noqa: E402
from hazelcast import HazelcastClient  # noqa: E402
from hazelcast.serialization import FieldKind  # noqa: E402

I32 = Annotated[int, FieldKind.INT32]


@dataclasses.dataclass
class Address:
    __compact_type_name__ = w.ADDRESS_TYPE
    street: str
    zip_code: I32


@dataclasses.dataclass
class Person:
    __compact_type_name__ = w.PERSON_TYPE
    id: I32
    big: int
    score: float
    active: bool
    name: str
    email: str
    age: Optional[I32]
    tags: List[str]
    nums: List[I32]
    address: Address


async def main(cluster_name, member, duration, warmup):
    async with HazelcastClient(cluster_name=cluster_name, cluster_members=[member]) as client:
        person = Person(address=Address(**w.ADDRESS), **w.PERSON)
        values = {"string": w.SHORT_STRING, "person": person}
        if duration < 0:  # serve scenarios on request (see e2e_workload.serve)
            await w.serve(hazelcast.BACKEND, client.get_map, values)
            return
        results = await w.run_all(client.get_map, values, duration, warmup)
    json.dump({"client": hazelcast.BACKEND, "results": results}, sys.stdout)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])))
