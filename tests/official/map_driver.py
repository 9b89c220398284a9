"""Drives the OFFICIAL hazelcast-python-client 5.7.0 (asyncio API) against a real member, for the IMap interop test.

Run with the official client's interpreter (``.venv-official/bin/python -E -s tests/official/map_driver.py``); never
in our venv (both packages are named ``hazelcast``). Reads a JSON command on stdin, writes a JSON answer on stdout:

    {"cluster_name": ..., "members": [...], "write": map name}  -> writes the fixed entries below, answers {}
    {"cluster_name": ..., "members": [...], "read": map name}   -> {"entries": {key: value as JSON}}

Compact values use the type names of tests/_clients.py (``client.Person``, ``client.Address``).
"""

import asyncio
import json
import sys

from hazelcast.asyncio import HazelcastClient
from hazelcast.serialization.api import CompactSerializer


class Person:
    def __init__(self, name, age, tags):
        self.name, self.age, self.tags = name, age, tags


class Address:
    def __init__(self, street, zip_code):
        self.street, self.zip_code = street, zip_code


class PersonSerializer(CompactSerializer):
    def read(self, reader):
        return Person(reader.read_string("name"), reader.read_int32("age"), reader.read_array_of_string("tags"))

    def write(self, writer, obj):
        writer.write_string("name", obj.name)
        writer.write_int32("age", obj.age)
        writer.write_array_of_string("tags", obj.tags)

    def get_class(self):
        return Person

    def get_type_name(self):
        return "client.Person"


class AddressSerializer(CompactSerializer):
    def read(self, reader):
        return Address(reader.read_string("street"), reader.read_int32("zip_code"))

    def write(self, writer, obj):
        writer.write_string("street", obj.street)
        writer.write_int32("zip_code", obj.zip_code)

    def get_class(self):
        return Address

    def get_type_name(self):
        return "client.Address"


def to_json(value):
    if isinstance(value, Person):
        return {"name": value.name, "age": value.age, "tags": value.tags}
    if isinstance(value, Address):
        return {"street": value.street, "zip_code": value.zip_code}
    return value


async def main():
    command = json.load(sys.stdin)
    client = await HazelcastClient.create_and_start(
        cluster_name=command["cluster_name"], cluster_members=command["members"],
        compact_serializers=[PersonSerializer(), AddressSerializer()],
    )
    try:
        answer = {}
        if "write" in command:
            m = await client.get_map(command["write"])
            await m.put("s", "string from the official client")
            await m.put("i", 654321)
            await m.put(9, "int key")
            await m.put("person", Person("Alan", 41, ["enigma"]))
            await m.put("address", Address("Bletchley Park", 908))
        if "read" in command:
            m = await client.get_map(command["read"])
            entries = {}
            for key, value in await m.entry_set():
                entries[key if isinstance(key, str) else "int:%d" % key] = to_json(value)
            answer["entries"] = entries
        json.dump(answer, sys.stdout)
    finally:
        await client.shutdown()


if __name__ == "__main__":
    asyncio.run(main())
