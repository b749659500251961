"""`make run` without DATABASE_URL and REDIS_URL: SQLite and the file-system broker must work too."""

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
from django.utils import timezone
from billing_portal import emails
from quotes.services import quotes_expire_due, quotes_remind_due
call_command("migrate", verbosity=0)
call_command("seed_demo")
call_command("seed_demo")
print("reminded", quotes_remind_due(now=timezone.now() + timedelta(days=5, hours=12)))
print("expired", quotes_expire_due(now=timezone.now() + timedelta(days=8)))
print("delivered", emails.deliver_due())
"""


def test_the_demo_runs_on_sqlite_with_the_file_system_broker(tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env.update(DJANGO_SETTINGS_MODULE="billing_portal.settings", DJANGO_DEBUG="true", MEDIA_ROOT=str(tmp_path / "media"),
               DATABASE_URL=f"sqlite:///{tmp_path / 'portal.sqlite3'}", PYTHONPATH=str(settings.BASE_DIR))
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "Demo data ready" in out
    assert int(out.split("expired ")[1].split()[0]) > 0
    assert int(out.split("delivered ")[1].split()[0]) > 0
