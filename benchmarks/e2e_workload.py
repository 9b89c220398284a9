"""The end-to-end workload, shared by our client (e2e_client.py) and the official one (e2e_official.py).

Plain Python with no ``hazelcast`` import: each side passes its map proxy and its Person factory. Each scenario
(map put or get of a short string or of the Person record, with 1 or 64 concurrent tasks) runs for a fixed wall
time and reports operations, wall seconds and the client process's CPU seconds (``time.process_time``).
"""

import asyncio
import json
import sys
import time

KEYS = 10_000
SHORT_STRING = "short value"
SCENARIOS = [(op, value, tasks) for value in ("string", "person") for tasks in (1, 64) for op in ("put", "get")]
"""(operation, value kind, concurrent tasks), in the order they run."""

# The Person record of the serialization issue (issue 3, item 10): the same values on both sides.
PERSON = dict(id=42, big=1234567890123, score=98.5, active=True, name="Ada Lovelace", email="ada@example.com", age=37,
              tags=["math", "poetry", "engines"], nums=[1, 2, 3, 4, 5])
ADDRESS = dict(street="12 Analytical Engine Way", zip_code=10115)
PERSON_TYPE = "bench.Person"
ADDRESS_TYPE = "bench.Address"


async def run_scenario(m, op, value, tasks, duration):
    """Run one scenario on map proxy ``m`` for ``duration`` seconds; returns (ops, wall seconds, cpu seconds)."""
    keys = ["key-%d" % i for i in range(KEYS)]
    stop = False
    count = 0

    async def worker(offset):
        nonlocal count
        i = offset
        n = 0
        if op == "put":
            while not stop:
                await m.put(keys[i % KEYS], value)
                i += 1
                n += 1
        else:
            while not stop:
                await m.get(keys[i % KEYS])
                i += 1
                n += 1
        count += n

    async def timer():
        nonlocal stop
        await asyncio.sleep(duration)
        stop = True

    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(timer(), *(worker(k * (KEYS // tasks)) for k in range(tasks)))
    return count, time.perf_counter() - wall, time.process_time() - cpu


async def run_all(get_map, values, duration, warmup):
    """Every scenario of :data:`SCENARIOS` (after ``warmup`` seconds of each); ``get_map(name)`` is the client's
    coroutine, ``values`` maps a value kind to the value to put."""
    results = []
    for op, kind, tasks in SCENARIOS:
        m = await get_map("e2e-" + kind)
        if warmup > 0:
            await run_scenario(m, op, values[kind], tasks, warmup)
        ops, wall, cpu = await run_scenario(m, op, values[kind], tasks, duration)
        results.append({"op": op, "value": kind, "tasks": tasks, "ops": ops, "wall": wall, "cpu": cpu})
    return results


async def serve(client_name, get_map, values):
    """Run scenarios on request: each line on stdin is ``op value tasks seconds warmup``; each answer is one JSON
    line on stdout. Ends at EOF. (The driver interleaves the clients scenario by scenario this way.)"""
    loop = asyncio.get_running_loop()
    maps = {}
    print(json.dumps({"ready": True, "client": client_name}), flush=True)
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line.strip():
            return
        op, kind, tasks, seconds, warmup = line.split()
        tasks, seconds, warmup = int(tasks), float(seconds), float(warmup)
        if kind not in maps:
            maps[kind] = await get_map("e2e-" + kind)
        if warmup > 0:
            await run_scenario(maps[kind], op, values[kind], tasks, warmup)
        ops, wall, cpu = await run_scenario(maps[kind], op, values[kind], tasks, seconds)
        print(json.dumps({"op": op, "value": kind, "tasks": tasks, "ops": ops, "wall": wall, "cpu": cpu}),
              flush=True)
