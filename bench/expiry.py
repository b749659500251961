"""The expiry task alone, on the seeded bench database: the service beside a plain UPDATE of the same
rows (what `make bench` times), then where the service's time goes.

    .venv/bin/python bench/expiry.py [--rounds 3] [--batch 5000] [--explain]

It prints the best and the median of the rounds, and the longest batch: each batch of
QUOTE_EXPIRY_BATCH quotes (`--batch` overrides the setting) is a transaction of its own, and how
long it takes is how long it holds its row locks.

The breakdown runs the service once more inside an outer transaction, so that its commit is timed
on its own: each SQL statement it sends, the Python between them (the managers' notices: loading
the quotes they name and rendering the e-mails), and the commit (where PostgreSQL checks the
deferred foreign keys of every new audit entry). `--explain` also prints the plan of the expiry
statement with the time of each step (`EXPLAIN ANALYZE`, run in a savepoint that is rolled back).
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import bench_env, setup_django


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rounds", type=int, default=3, help="plain UPDATE and service, alternately; best and median of each"
    )
    parser.add_argument("--batch", type=int, help="quotes per batch (default: the QUOTE_EXPIRY_BATCH setting)")
    parser.add_argument("--explain", action="store_true", help="print the expiry statement's plan with timings")
    args = parser.parse_args()
    setup_django(bench_env())

    from django.conf import settings
    from django.db import connection, transaction

    from bench.run import measure_expiry, reset_due_quotes
    from quotes.services import quotes_expire_due

    if args.batch:
        settings.QUOTE_EXPIRY_BATCH = args.batch
    measure_expiry(args.rounds)

    statements: list[tuple[float, str]] = []
    plans: list[str] = []
    explaining = 0.0  # seconds spent on EXPLAIN, left out of the breakdown

    def timed(execute, sql, params, many, context):
        nonlocal explaining
        if args.explain and "UPDATE quotes_quote" in sql:
            explain_start = time.perf_counter()
            raw = context["cursor"].cursor
            raw.execute("SAVEPOINT bench_explain")
            raw.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            plans.extend(row[0] for row in raw.fetchall())
            raw.execute("ROLLBACK TO SAVEPOINT bench_explain")
            explaining += time.perf_counter() - explain_start
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            statements.append((time.perf_counter() - start, " ".join(sql.split())[:70]))

    reset_due_quotes()
    start = time.perf_counter()
    with transaction.atomic():
        with connection.execute_wrapper(timed):
            expired = quotes_expire_due()
        before_commit = time.perf_counter()
    total = time.perf_counter() - start - explaining
    commit = time.perf_counter() - before_commit
    in_sql = sum(seconds for seconds, _sql in statements)
    batches = sum("UPDATE quotes_quote" in sql for _seconds, sql in statements)
    print(f"\nThe service over {expired:,} due quotes in {batches} batches, {total:.2f} s in all:")
    for seconds, sql in sorted(statements, reverse=True)[:5]:
        print(f"  {seconds:6.2f} s  {sql}")
    print(f"  {in_sql:6.2f} s  in all {len(statements)} SQL statements")
    print(
        f"  {total - commit - in_sql:6.2f} s  Python between them (notices: quotes named, e-mails rendered and queued)"
    )
    print(f"  {commit:6.2f} s  commit (deferred foreign-key checks of the new audit entries)")
    if plans:
        print("\n" + "\n".join(plans))


if __name__ == "__main__":
    main()
