"""The Person record of the serialization issue: to_data, to_object and the round trip, compiled vs pure, and msgpack.

The official client and the ratio table are in ``benchmarks/compact_report.py`` (one run, same timing method).
"""

from __future__ import annotations

import msgpack
import pytest

from benchmarks import person
from benchmarks.compact_objects import PersonSerializer, AddressSerializer, dataclass_person, plain_person
from hazelcast.serialization import SerializationService


@pytest.fixture(params=["dataclass", "serializer"])
def subject(request, codec):
    if request.param == "dataclass":
        return SerializationService(codec=codec), dataclass_person()
    return SerializationService([PersonSerializer(), AddressSerializer()], codec=codec), plain_person()


def test_person_to_data(benchmark, subject):
    service, obj = subject
    data = benchmark(service.to_data, obj)
    assert len(data) == 195


def test_person_to_object(benchmark, subject):
    service, obj = subject
    data = service.to_data(obj)
    assert benchmark(service.to_object, data).address.zip_code == 10115


def test_person_round_trip(benchmark, subject):
    service, obj = subject
    assert benchmark(lambda: service.to_object(service.to_data(obj))).name == "Ada Lovelace"


def test_msgpack_person_pack(benchmark):
    value = person.as_dict()
    assert len(benchmark(msgpack.packb, value)) > 100


def test_msgpack_person_unpack(benchmark):
    packed = msgpack.packb(person.as_dict())
    assert benchmark(msgpack.unpackb, packed)["address"]["zip_code"] == 10115


def test_msgpack_person_round_trip(benchmark):
    value = person.as_dict()
    assert benchmark(lambda: msgpack.unpackb(msgpack.packb(value)))["name"] == "Ada Lovelace"
