"""The official hazelcast-python-client 5.7.0 on the Person benchmark (run ONLY with .venv-official's interpreter).

Serves timing rounds to ``compact_report.py`` (which interleaves them with the rounds of the other contenders),
using ``timing.py``, the same code that times our backends and msgpack.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import person  # noqa: E402
import timing  # noqa: E402
from hazelcast.config import Config  # noqa: E402
from hazelcast.serialization.api import CompactSerializer  # noqa: E402
from hazelcast.serialization.compact import SchemaNotReplicatedError  # noqa: E402
from hazelcast.serialization.service import SerializationServiceV1  # noqa: E402


class Address:
    def __init__(self, street, zip_code):
        self.street = street
        self.zip_code = zip_code


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
        return person.ADDRESS_TYPE


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
        return person.PERSON_TYPE


def main():
    """Without arguments: serve timing rounds. Reads lines ``<operation>`` from stdin (to_data, to_object or
    round_trip), answers each with the per-call seconds of one round; the first line written is the JSON header
    (the Data bytes and the calls per round)."""
    config = Config()
    config.compact_serializers = [PersonSerializer(), AddressSerializer()]
    service = SerializationServiceV1(config)
    obj = Person(address=Address(**person.ADDRESS), **person.PERSON)
    for _ in range(10):  # offline: accept each schema locally, as after Client.SendSchema
        try:
            data = service.to_data(obj)
            break
        except SchemaNotReplicatedError as e:
            service.compact_stream_serializer.register_schema_to_type(e.schema, e.clazz)
    back = service.to_object(data)
    assert (back.name, back.address.zip_code, back.nums) == (obj.name, 10115, obj.nums)
    operations = {
        "to_data": lambda: service.to_data(obj),
        "to_object": lambda: service.to_object(data),
        "round_trip": lambda: service.to_object(service.to_data(obj)),
    }
    numbers = {name: timing.calibrate(fn) for name, fn in operations.items()}
    print(json.dumps({"bytes": bytes(data.buffer).hex(), "numbers": numbers, "version": "5.7.0"}), flush=True)
    for line in sys.stdin:
        name = line.strip()
        print(repr(timing.run_round(operations[name], numbers[name])), flush=True)


if __name__ == "__main__":
    main()
