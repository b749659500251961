"""Production settings guess nothing: a missing address, database or broker stops the start."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "billing_portal.settings",
    "DJANGO_DEBUG": "false",
    "SECRET_KEY": "fail-closed-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    "ALLOWED_HOSTS": "billing.example.com",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/billing_portal",
    "REDIS_URL": "redis://127.0.0.1:6379/15",
    "PORTAL_URL": "https://billing.example.com",
}


def manage(args: list[str], env: dict, cwd=None) -> subprocess.CompletedProcess:
    base = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root")}
    return subprocess.run(
        [sys.executable, str(settings.BASE_DIR / "manage.py"), *args],
        cwd=cwd or settings.BASE_DIR,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("missing", ["DATABASE_URL", "REDIS_URL", "PORTAL_URL", "SECRET_KEY", "ALLOWED_HOSTS"])
def test_production_refuses_to_start_without(missing):
    env = {key: value for key, value in PRODUCTION.items() if key != missing}
    result = manage(["check"], env)
    assert result.returncode != 0
    assert f"Set the {missing} environment variable" in result.stderr


def test_a_database_other_than_postgresql_is_refused():
    result = manage(["check"], {**PRODUCTION, "DATABASE_URL": "sqlite:////tmp/portal.sqlite3"})
    assert result.returncode != 0
    assert "DATABASE_URL must name a PostgreSQL database" in result.stderr


def test_the_deployment_check_refuses_a_portal_url_that_is_not_public_https():
    result = manage(
        ["check", "--deploy", "--fail-level", "WARNING"], {**PRODUCTION, "PORTAL_URL": "http://127.0.0.1:8000"}
    )
    assert result.returncode != 0
    assert "billing_portal.W001" in result.stderr
    result = manage(["check", "--deploy", "--fail-level", "WARNING"], PRODUCTION)
    assert result.returncode == 0, result.stderr


def test_loading_the_settings_creates_no_folders(tmp_path):
    # The settings module alone, in a folder without var/: importing it must not create one.
    subprocess.run(["cp", "-r", str(settings.BASE_DIR / "billing_portal"), str(tmp_path)], check=True)
    for env in (PRODUCTION, {**PRODUCTION, "DJANGO_DEBUG": "true", "REDIS_URL": ""}):
        result = subprocess.run(
            [sys.executable, "-c", "import billing_portal.settings as s; print(s.BASE_DIR, s.CELERY_BROKER_URL)"],
            cwd=tmp_path,
            env={"PATH": os.environ["PATH"], "PYTHONPATH": str(tmp_path), **env},
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        assert result.stdout.startswith(str(tmp_path))
    assert not (tmp_path / "var").exists()
