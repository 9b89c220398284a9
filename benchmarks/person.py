"""The 10-field Person of the serialization issue, as plain values (shared by our benchmarks and the official one).

``Person(id: int32, big: int64, score: float64, active: bool, name: str, email: str, age: nullable int32,
tags: array of string, nums: array of int32, address: Address(street: str, zip_code: int32))``. Fields are listed
in the order every serializer writes them, so all compact encodings of it are byte-identical.
"""

PERSON = dict(id=42, big=1234567890123, score=98.5, active=True, name="Ada Lovelace", email="ada@example.com", age=37,
              tags=["math", "poetry", "engines"], nums=[1, 2, 3, 4, 5])
ADDRESS = dict(street="12 Analytical Engine Way", zip_code=10115)
PERSON_TYPE = "bench.Person"
ADDRESS_TYPE = "bench.Address"


def as_dict() -> dict:
    """The same values as one dict (what msgpack serializes)."""
    return dict(PERSON, address=dict(ADDRESS))
