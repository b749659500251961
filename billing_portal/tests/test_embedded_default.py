"""`make run` without DATABASE_URL and REDIS_URL: an embedded PostgreSQL and the file-system broker."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

pytestmark = pytest.mark.slow

SCRIPT = """
import django
django.setup()
from datetime import timedelta
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from billing_portal import emails
from quotes.services import quotes_expire_due, quotes_remind_due
print("server", connection.cursor().connection.server_version)
call_command("migrate", verbosity=0)
call_command("seed_demo")
call_command("seed_demo")
print("reminded", quotes_remind_due(now=timezone.now() + timedelta(days=5, hours=12)))
print("expired", quotes_expire_due(now=timezone.now() + timedelta(days=8)))
print("delivered", emails.deliver_due())
"""


def run(args, env, timeout=300):
    return subprocess.run(args, cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=timeout)


def test_the_demo_runs_on_the_embedded_postgresql_with_the_file_system_broker(tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL", "PORTAL_URL")}
    env.update(DEV_POSTGRES_DIR=str(tmp_path / "pg"), PYTHONPATH=str(settings.BASE_DIR))
    started = run([sys.executable, "scripts/dev_postgres.py", "start"], env)
    assert started.returncode == 0, started.stderr[-3000:]
    try:
        database_url = started.stdout.strip()
        assert database_url.startswith("postgresql://") and str(tmp_path / "pg") in database_url
        for folder in ("broker", "broker-processed", "broker-control"):
            (settings.VAR_DIR / folder).mkdir(parents=True, exist_ok=True)
        env.update(
            DJANGO_SETTINGS_MODULE="billing_portal.settings",
            DJANGO_DEBUG="true",
            DATABASE_URL=database_url,
            MEDIA_ROOT=str(tmp_path / "media"),
        )
        result = run([sys.executable, "-c", SCRIPT], env)
        assert result.returncode == 0, result.stderr[-3000:]
    finally:
        stopped = run([sys.executable, "scripts/dev_postgres.py", "stop"], env)
    assert stopped.returncode == 0, stopped.stderr[-3000:]
    assert not (tmp_path / "pg" / "postmaster.pid").exists()
    out = result.stdout
    assert int(out.split("server ")[1].split()[0]) >= 180000  # the wheel's PostgreSQL 18, not the machine's
    assert "Demo data ready" in out
    assert int(out.split("expired ")[1].split()[0]) > 0
    assert int(out.split("delivered ")[1].split()[0]) > 0
