"""Servers that a fault test starts, stops or kills itself, so the shared ones are never disturbed.

The harness itself is billing_portal/processes.py (the soak and the bench use it too); this module
adds what needs the test's own database and settings.
"""

import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

from billing_portal.processes import (  # noqa: F401  (the harness, as the tests import it)
    BASE_DIR,
    PortalBrowser,
    RedisServer,
    celery_command,
    children,
    collect_output,
    free_port,
    gunicorn_command,
    spawn,
    stop,
    wait_for_port,
    wait_until,
)


def worker_environment(redis_url: str, **extra: str) -> dict:
    """The environment of a process that shares this test's database (transactional tests only)."""
    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "billing_portal.test_settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "PYTHONPATH": str(BASE_DIR),
        **extra,
    }


@contextmanager
def celery_worker(redis_url: str, *, concurrency: int = 1, name: str = "w1", **extra: str):
    """A real Celery worker process (prefork) on the test queue; `process.lines` is its log so far."""
    process = spawn(
        celery_command(
            "worker",
            "--pool=prefork",
            f"--concurrency={concurrency}",
            "-Q",
            settings.CELERY_TASK_DEFAULT_QUEUE,
            "-n",
            f"{name}@%h",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
        ),
        env=worker_environment(redis_url, **extra),
    )
    process.lines = collect_output(process)
    try:
        yield process
    finally:
        stop(process)


def task_succeeded(worker: subprocess.Popen, task_id: str) -> bool:
    return any(f"[{task_id}] succeeded" in line for line in worker.lines)


def collect_static(static_root: Path) -> None:
    """Production settings serve hashed, compressed static files: collect them once."""
    if not (static_root / "staticfiles.json").exists():
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=BASE_DIR,
            check=True,
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "billing_portal.settings",
                "DJANGO_DEBUG": "false",
                "SECRET_KEY": "collect",
                "ALLOWED_HOSTS": "*",
                "STATIC_ROOT": str(static_root),
                "PYTHONPATH": str(BASE_DIR),
            },
        )


@contextmanager
def gunicorn_server(redis_url: str, *, static_root: Path, workers: int = 2, **extra: str):
    """The portal under gunicorn with production settings, on this test's database."""
    collect_static(static_root)
    port = free_port()
    with (static_root.parent / f"gunicorn-{port}.log").open("w") as log:
        process = spawn(
            gunicorn_command(port, workers=workers, options=("--timeout", "30", "--graceful-timeout", "5")),
            log=log,
            env=worker_environment(
                redis_url,
                **{
                    "DJANGO_SETTINGS_MODULE": "billing_portal.settings",
                    "DJANGO_DEBUG": "false",
                    "SECRET_KEY": settings.SECRET_KEY,
                    "ALLOWED_HOSTS": "127.0.0.1",
                    "PORTAL_URL": f"http://127.0.0.1:{port}",
                    "STATIC_ROOT": str(static_root),
                    # Plain HTTP on loopback unless a test asks for the HTTPS behaviour.
                    "SECURE_SSL_REDIRECT": "false",
                    "SECURE_COOKIES": "false",
                    **extra,
                },
            ),
        )
        try:
            wait_for_port(port, timeout=30)
            yield f"http://127.0.0.1:{port}"
        finally:
            stop(process)
