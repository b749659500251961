"""A constant-rate (open-loop) HTTP load generator, run as its own process by bench/run.py.

    python bench/loadgen.py --targets FILE --ports 8100[,8101] --rate 300 --duration 10

wrk2 (`wrk -R`) is not in Debian, so this does what it does: request i is *due* at
start + i/rate whether or not earlier responses have come back, and its latency is measured
from that due time, not from when it could be sent (no coordinated omission). Each request
opens its own connection (gunicorn's sync workers close it after the response anyway), sends
`GET path` with the target's Cookie header, and reads to the end. Targets rotate line by line;
ports rotate request by request (round robin across gunicorn instances). Prints one JSON object.
Only 127.0.0.1 is ever contacted; the run is bounded by --duration and --timeout, and ends
sooner once the --stop-file exists (for load that lasts as long as something else runs).
"""

import argparse
import asyncio
import json
import os
import time

HOST = "127.0.0.1"


def read_targets(path: str) -> list[tuple[str, str]]:
    targets = []
    with open(path) as file:
        for line in file:
            line = line.rstrip("\n")
            if line:
                target, _tab, cookie = line.partition("\t")
                targets.append((target, cookie))
    return targets


def percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


async def fetch(port: int, request: bytes, timeout: float) -> int:
    reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), timeout)
    try:
        writer.write(request)
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n"), timeout)
        status = int(head.split(b" ", 2)[1])
        while await asyncio.wait_for(reader.read(65536), timeout):
            pass
        return status
    finally:
        writer.close()


async def run(args) -> dict:
    targets = read_targets(args.targets)
    ports = [int(port) for port in args.ports.split(",")]
    requests = []
    for path, cookie in targets:
        lines = [
            f"GET {path} HTTP/1.1",
            f"Host: {HOST}",
            "User-Agent: bench-loadgen",
            "Accept: text/html",
            "Connection: close",
        ]
        if cookie:
            lines.append(f"Cookie: {cookie}")
        requests.append(("\r\n".join(lines) + "\r\n\r\n").encode())

    total = int(args.rate * args.duration)
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    per_port = dict.fromkeys(ports, 0)
    errors = 0
    inflight = asyncio.Semaphore(args.max_inflight)
    skipped = 0
    loop = asyncio.get_running_loop()

    async def one(index: int, due: float) -> None:
        nonlocal errors
        port = ports[index % len(ports)]
        try:
            status = await fetch(port, requests[index % len(requests)], args.timeout)
        except Exception as error:
            errors += 1
            statuses[type(error).__name__] = statuses.get(type(error).__name__, 0) + 1
        else:
            latencies.append((loop.time() - due) * 1000)
            statuses[str(status)] = statuses.get(str(status), 0) + 1
            per_port[port] += 1
            if status != args.expect:
                errors += 1
        finally:
            inflight.release()

    tasks = []
    start = loop.time() + 0.05
    for index in range(total):
        due = start + index / args.rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        if args.stop_file and os.path.exists(args.stop_file):
            break
        if inflight.locked():
            skipped += 1  # more than --max-inflight outstanding: the server has fallen over; count it as an error
            continue
        await inflight.acquire()
        tasks.append(asyncio.create_task(one(index, due)))
    sent_in = loop.time() - start
    await asyncio.gather(*tasks)
    elapsed = loop.time() - start
    return {
        "rate": args.rate,
        "sent": len(tasks),
        "skipped": skipped,
        "errors": errors + skipped,
        "statuses": statuses,
        "per_port": per_port,
        "send_seconds": round(sent_in, 3),
        "seconds": round(elapsed, 3),
        "achieved_rps": round(len(latencies) / elapsed, 1) if elapsed else 0,
        "p50_ms": percentile(latencies, 0.50),
        "p95_ms": percentile(latencies, 0.95),
        "p99_ms": percentile(latencies, 0.99),
        "max_ms": max(latencies) if latencies else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--targets", required=True, help="lines of: path<TAB>Cookie header value")
    parser.add_argument("--ports", required=True, help="comma-separated; requests rotate over them")
    parser.add_argument("--rate", type=float, required=True, help="requests per second")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds (bounded: at most 600)")
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--max-inflight", type=int, default=400)
    parser.add_argument("--expect", type=int, default=200, help="the status every response must have")
    parser.add_argument("--stop-file", help="stop sending (before --duration) once this file exists")
    args = parser.parse_args()
    args.duration = min(args.duration, 600.0)
    print(json.dumps(asyncio.run(run(args))))


if __name__ == "__main__":
    started = time.monotonic()
    main()
