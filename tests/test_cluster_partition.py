"""Cluster service (member list, membership listeners) and partition service (owners, partition ids)."""

import asyncio
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hazelcast.cluster import ClusterService, MembershipEvent
from hazelcast.errors import ClientNotAllowedInClusterError, HazelcastSerializationError
from hazelcast.network.address import Address
from hazelcast.partition import PartitionService, hash_to_index, murmur_hash, partitions_by_owner
from hazelcast.protocol.codecs.custom import MemberInfo


def member(n: int) -> MemberInfo:
    return MemberInfo(Address("127.0.0.1", 5700 + n), uuid.UUID(int=n))


# -- partitions ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data_hex, partition_hash, pid",
    [
        ("00000000fffffff5000000046b657931", 1754812034, 43),
        ("00000000fffffff90000002a", 2076340387, 175),
        ("00000000fffffff50000000161", 2099876635, 73),
        ("00000000fffffff500000000", 923237662, 11),
    ],
)
def test_partition_id_vectors_a1(data_hex, partition_hash, pid):
    data = bytes.fromhex(data_hex)
    assert murmur_hash(data) == partition_hash
    service = PartitionService()
    service.check_and_set_partition_count(271)
    assert service.get_partition_id(data) == pid
    assert service.get_partition_id(bytearray(data)) == pid


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=40), count=st.integers(-3, 5000), explicit=st.integers(-(2**31), 2**31 - 1),
       use_explicit=st.booleans(), as_bytearray=st.booleans())
def test_partitioner_backends_agree_with_murmur_hash(codec_pair, data, count, explicit, use_explicit, as_bytearray):
    """The compiled MurmurHash3 and hashToIndex against the pure twin (mmh3) and the reference functions here."""
    if use_explicit and len(data) >= 8:
        data = explicit.to_bytes(4, "big", signed=True) + data[4:]
    key = bytearray(data) if as_bytearray else data
    results = []
    for codec in codec_pair:
        partitioner = codec.Partitioner()
        partitioner.count = count
        try:
            results.append(("ok", partitioner(key)))
        except Exception as e:  # noqa: BLE001 - compared across backends
            results.append(("error", type(e).__name__, str(e)))
    assert results[0] == results[1]
    if count > 0 and len(data) >= 8:
        assert results[0] == ("ok", hash_to_index(murmur_hash(data), count))


def test_partitioner_rejects_a_negative_count(codec):
    with pytest.raises(ValueError):
        codec.Partitioner(-1)
    assert codec.Partitioner(7).count == 7
    assert codec.Partitioner(1)(bytes(8)) == 0
    assert codec.Partitioner(271)((-(2**31)).to_bytes(4, "big", signed=True) + bytes(4)) == 0  # MIN_VALUE -> 0


def test_explicit_partition_hash_wins():
    data = (-5).to_bytes(4, "big", signed=True) + bytes.fromhex("fffffff5000000046b657931")
    assert murmur_hash(data) == -5
    assert hash_to_index(-5, 271) == 5


def test_hash_to_index_min_value_rule():
    assert hash_to_index(-(2**31), 271) == 0  # Java: Integer.MIN_VALUE -> 0 (the official Python client gives 245)
    assert hash_to_index(-(2**31) + 1, 271) == (2**31 - 1) % 271
    assert hash_to_index(0, 7) == 0


def test_short_data_and_unknown_count():
    service = PartitionService()
    with pytest.raises(RuntimeError, match="partition count is not known"):
        service.get_partition_id(bytes(8))
    service.check_and_set_partition_count(3)
    with pytest.raises(HazelcastSerializationError, match="shorter than its 8-byte header"):
        service.get_partition_id(b"\x00\x00")


def test_partition_count_must_not_change():
    service = PartitionService()
    assert service.partition_count == 0
    service.check_and_set_partition_count(271)
    service.check_and_set_partition_count(271)
    with pytest.raises(ClientNotAllowedInClusterError, match="has 13 partitions"):
        service.check_and_set_partition_count(13)
    service.reset()
    service.check_and_set_partition_count(13)
    assert service.partition_count == 13


def test_partition_table_versions_and_sources():
    service = PartitionService()
    a, b = object(), object()
    u1, u2 = uuid.UUID(int=1), uuid.UUID(int=2)
    assert not service.handle_partitions_view(a, 1, [])
    assert service.handle_partitions_view(a, 2, [(u1, [0, 1]), (u2, [2]), (None, [3])])
    assert service.get_partition_owner(0) == u1 and service.get_partition_owner(2) == u2
    assert service.get_partition_owner(3) is None and service.version == 2
    assert not service.handle_partitions_view(a, 2, [(u2, [0, 1, 2])])  # same source, not newer
    assert not service.handle_partitions_view(a, 1, [(u2, [0, 1, 2])])
    assert service.handle_partitions_view(b, 1, [(u2, [0, 1, 2])])  # a new source is always applied
    assert service.get_partition_owner(0) == u2
    assert service.handle_partitions_view(b, 5, [(u1, [0]), (u2, [1, 2])])
    assert partitions_by_owner(service) == {u1: [0], u2: [1, 2]}
    service.reset()
    assert service.owners() == {} and service.version == -1


# -- members -------------------------------------------------------------------------------------------------------


def test_member_list_versions_and_events():
    cluster = ClusterService()
    added, removed = [], []
    reg = cluster.add_membership_listener(added.append, removed.append)
    assert cluster.handle_members_view(1, [member(1), member(2)])
    assert [e.member for e in added] == [member(1), member(2)] and removed == []
    assert added[-1].members == (member(1), member(2))
    assert not cluster.handle_members_view(1, [member(3)])  # not newer
    assert cluster.handle_members_view(2, [member(2), member(3)])
    assert [e.member for e in removed] == [member(1)] and added[-1].member == member(3)
    assert cluster.members == [member(2), member(3)] and cluster.member_list_version == 2
    assert cluster.get_member(uuid.UUID(int=3)) == member(3) and cluster.get_member(uuid.UUID(int=1)) is None
    assert cluster.remove_membership_listener(reg) and not cluster.remove_membership_listener(reg)
    cluster.handle_members_view(3, [])
    assert len(removed) == 1


def test_fire_for_existing_and_partial_listeners(caplog):
    cluster = ClusterService()
    cluster.handle_members_view(1, [member(1)])
    seen = []
    cluster.add_membership_listener(seen.append, fire_for_existing=True)
    assert [e.member for e in seen] == [member(1)]
    cluster.add_membership_listener(member_removed=lambda e: 1 / 0)  # a failing listener is logged
    cluster.add_membership_listener(member_added=None, fire_for_existing=True)
    cluster.handle_members_view(2, [member(2)])
    assert "membership listener failed" in caplog.text
    assert isinstance(seen[-1], MembershipEvent) and seen[-1].member == member(2)


def test_reset_accepts_an_older_version_and_diffs_against_the_old_list():
    cluster = ClusterService()
    cluster.handle_members_view(10, [member(1)])
    removed = []
    cluster.add_membership_listener(member_removed=removed.append)
    cluster.reset()
    assert cluster.handle_members_view(1, [member(2)])
    assert [e.member for e in removed] == [member(1)]


async def test_wait_initial_member_list():
    cluster = ClusterService()
    waiter = asyncio.ensure_future(cluster.wait_initial_member_list(5))
    await asyncio.sleep(0)
    assert not waiter.done()
    cluster.handle_members_view(1, [member(1)])
    await waiter
    await cluster.wait_initial_member_list()  # already there
    cluster.reset()
    with pytest.raises(asyncio.TimeoutError):
        await cluster.wait_initial_member_list(0.01)


def test_partition_epoch_changes_with_every_applied_table_and_reset():
    from hazelcast.partition import PartitionService

    service = PartitionService()
    service.check_and_set_partition_count(3)
    first = service.epoch
    owner = __import__("uuid").uuid4()
    assert service.handle_partitions_view("conn", 1, [(owner, [0, 1, 2])])
    assert service.epoch == first + 1
    assert not service.handle_partitions_view("conn", 1, [(owner, [0, 1, 2])])  # not applied: same epoch
    assert service.epoch == first + 1
    service.reset()
    assert service.epoch == first + 2
    with __import__("pytest").raises(Exception):
        service.get_partition_id(b"\x00" * 4)  # no count after a reset
    service.check_and_set_partition_count(3)
    assert service.get_partition_id(b"\x00\x00\x00\x05\xff\xff\xff\xf9") == 2  # an explicit partition hash: 5 % 3
    assert service.get_partition_id(bytearray(b"\x00" * 4 + b"\xff\xff\xff\xf9" + b"\x00\x00\x00\x07")) in (0, 1, 2)
