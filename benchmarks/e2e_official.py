"""The official client's side of the end-to-end benchmark (run ONLY with .venv-official's interpreter: the official
hazelcast-python-client 5.7.0, asyncio API). Runs the shared workload and prints one JSON object.

Usage: .venv-official/bin/python -E -s benchmarks/e2e_official.py <cluster name> <member> <seconds> <warm-up seconds>
"""

import asyncio
import json
import logging
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import e2e_workload as w  # noqa: E402
from hazelcast.asyncio import HazelcastClient  # noqa: E402
from hazelcast.serialization.api import CompactSerializer  # noqa: E402


class Address:
    def __init__(self, street, zip_code):
        self.street, self.zip_code = street, zip_code


class Person:
    def __init__(self, id, big, score, active, name, email, age, tags, nums, address):
        self.id, self.big, self.score, self.active, self.name = id, big, score, active, name
        self.email, self.age, self.tags, self.nums, self.address = email, age, tags, nums, address


class AddressSerializer(CompactSerializer):
    def read(self, reader):
        return Address(reader.read_string("street"), reader.read_int32("zip_code"))

    def write(self, writer, obj):
        writer.write_string("street", obj.street)
        writer.write_int32("zip_code", obj.zip_code)

    def get_class(self):
        return Address

    def get_type_name(self):
        return w.ADDRESS_TYPE


class PersonSerializer(CompactSerializer):
    def read(self, reader):
        return Person(reader.read_int32("id"), reader.read_int64("big"), reader.read_float64("score"),
                      reader.read_boolean("active"), reader.read_string("name"), reader.read_string("email"),
                      reader.read_nullable_int32("age"), reader.read_array_of_string("tags"),
                      reader.read_array_of_int32("nums"), reader.read_compact("address"))

    def write(self, writer, obj):
        writer.write_int32("id", obj.id)
        writer.write_int64("big", obj.big)
        writer.write_float64("score", obj.score)
        writer.write_boolean("active", obj.active)
        writer.write_string("name", obj.name)
        writer.write_string("email", obj.email)
        writer.write_nullable_int32("age", obj.age)
        writer.write_array_of_string("tags", obj.tags)
        writer.write_array_of_int32("nums", obj.nums)
        writer.write_compact("address", obj.address)

    def get_class(self):
        return Person

    def get_type_name(self):
        return w.PERSON_TYPE


async def main(cluster_name, member, duration, warmup):
    logging.getLogger("hazelcast").setLevel(logging.WARNING)
    client = await HazelcastClient.create_and_start(cluster_name=cluster_name, cluster_members=[member],
                                                    compact_serializers=[PersonSerializer(), AddressSerializer()])
    try:
        person = Person(address=Address(**w.ADDRESS), **w.PERSON)
        values = {"string": w.SHORT_STRING, "person": person}
        if duration < 0:  # serve scenarios on request (see e2e_workload.serve)
            await w.serve("official", client.get_map, values)
            return
        results = await w.run_all(client.get_map, values, duration, warmup)
    finally:
        await client.shutdown()
    json.dump({"client": "official", "results": results}, sys.stdout)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])))
