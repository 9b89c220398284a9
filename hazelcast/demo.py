"""A short demonstration of the hot paths: encode a request, scan it back from a split stream, and write and read
compact primitives. Run with ``python -m hazelcast.demo``."""

from __future__ import annotations

import hazelcast
from hazelcast._backend import codec
from hazelcast.protocol import ClientMessage, MessageReader


def main() -> None:
    print(f"hazelcast-aio {hazelcast.__version__}, backend: {hazelcast.BACKEND}")
    msg = ClientMessage.create_request(0x010100, 43, 16)  # Map.Put
    msg.correlation_id = 1
    msg.append_string("demo-map")
    msg.append_data(bytes.fromhex("00000000fffffff5000000046b657931"))
    msg.append_data(bytes.fromhex("00000000fffffff90000002a"))
    wire = msg.to_bytes()
    print(f"Map.Put request: {len(wire)} bytes, {msg.frame_count} frames")
    reader = MessageReader()
    decoded = [m for i in range(0, len(wire), 7) for m in reader.feed(wire[i : i + 7])]
    (back,) = decoded
    back.skip_frame()
    print(f"decoded from 7-byte pieces: type=0x{back.message_type:06x} partition={back.partition_id} "
          f"map={back.read_string()!r}")
    w = codec.CompactStreamWriter()
    w.write_string("Ada")
    w.write_int32_array([1, 2, 3])
    w.write_boolean_bits([True, False, True])
    r = codec.CompactStreamReader(w.to_bytes())
    print(f"compact primitives: {w.to_bytes().hex()} -> {r.read_string()!r} {r.read_int32_array()} "
          f"{r.read_boolean_bits()}")


if __name__ == "__main__":
    main()
