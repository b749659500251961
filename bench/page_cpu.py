"""Each page's CPU time per request relative to the baseline's, the pages interleaved so that other work on
a shared machine weighs on all of them alike.

    BENCH_DB=bench_perf .venv/bin/python bench/page_cpu.py [PATH ...] [--rounds 15] [--repeat 10]

In-process, production settings, one signed-in contact of the bench data ({quote} and {invoice} are
theirs); `rounds` times, each page `repeat` requests in turn; prints the median per request of this
process's CPU time and its multiple of the first path's (the baseline by default). A page at 0.6 of the
baseline's requests/s may cost at most 1.67 × its CPU, the frame at 0.85 at most 1.18 ×.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import bench_env, setup_django
from bench.profile_page import DEFAULT_PATHS, signed_in_client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", default=DEFAULT_PATHS)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    setup_django({**bench_env(), "ALLOWED_HOSTS": "testserver"})

    client, quote, invoice = signed_in_client()
    paths = [path.format(quote=quote.pk, invoice=invoice.pk) for path in args.paths]
    for path in paths:
        for _warm in range(10):
            status = client.get(path).status_code
            assert status == 200, (path, status)
    spent: dict[str, list[float]] = {path: [] for path in paths}
    for _round in range(args.rounds):
        for path in paths:
            started = time.thread_time()
            for _request in range(args.repeat):
                client.get(path)
            spent[path].append((time.thread_time() - started) / args.repeat * 1000)
    first = statistics.median(spent[paths[0]])
    for path in paths:
        median = statistics.median(spent[path])
        print(f"{path:<28} {median:6.2f} ms CPU  × {median / first:4.2f}  (fastest round {min(spent[path]):.2f})")


if __name__ == "__main__":
    main()
