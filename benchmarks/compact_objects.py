"""Our Person: a zero-config dataclass and, for comparison, the same class with a hand-written CompactSerializer."""

from __future__ import annotations

import dataclasses
from typing import Annotated, List, Optional

from benchmarks import person
from hazelcast.serialization import CompactReader, CompactSerializer, CompactWriter, FieldKind

I32 = Annotated[int, FieldKind.INT32]


@dataclasses.dataclass
class Address:
    __compact_type_name__ = person.ADDRESS_TYPE
    street: str
    zip_code: I32


@dataclasses.dataclass
class Person:
    __compact_type_name__ = person.PERSON_TYPE
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


class PlainAddress:
    def __init__(self, street: str, zip_code: int) -> None:
        self.street, self.zip_code = street, zip_code


class PlainPerson:
    def __init__(self, id, big, score, active, name, email, age, tags, nums, address):  # noqa: ANN001
        self.id, self.big, self.score, self.active, self.name = id, big, score, active, name
        self.email, self.age, self.tags, self.nums, self.address = email, age, tags, nums, address


class AddressSerializer(CompactSerializer[PlainAddress]):
    def read(self, reader: CompactReader) -> PlainAddress:
        return PlainAddress(reader.read_string("street"), reader.read_int32("zip_code"))

    def write(self, writer: CompactWriter, obj: PlainAddress) -> None:
        writer.write_string("street", obj.street)
        writer.write_int32("zip_code", obj.zip_code)

    def get_class(self) -> type:
        return PlainAddress

    def get_type_name(self) -> str:
        return person.ADDRESS_TYPE


class PersonSerializer(CompactSerializer[PlainPerson]):
    def read(self, reader: CompactReader) -> PlainPerson:
        return PlainPerson(reader.read_int32("id"), reader.read_int64("big"), reader.read_float64("score"),
                           reader.read_boolean("active"), reader.read_string("name"), reader.read_string("email"),
                           reader.read_nullable_int32("age"), reader.read_array_of_string("tags"),
                           reader.read_array_of_int32("nums"), reader.read_compact("address"))

    def write(self, writer: CompactWriter, obj: PlainPerson) -> None:
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

    def get_class(self) -> type:
        return PlainPerson

    def get_type_name(self) -> str:
        return person.PERSON_TYPE


def dataclass_person() -> Person:
    return Person(address=Address(**person.ADDRESS), **person.PERSON)


def plain_person() -> PlainPerson:
    return PlainPerson(address=PlainAddress(**person.ADDRESS), **person.PERSON)
