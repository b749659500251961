"""Every Procfile line starts on a fresh checkout with only the documented environment."""

import contextlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from .processes import PortalBrowser, collect_output, free_port, spawn, stop, wait_for_port, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(settings.BASE_DIR)
# A Redis database of its own, so beat's tasks reach no worker of the suite or of a developer.
REDIS_URL = "redis://127.0.0.1:6379/15"
PROCFILE = dict(line.split(":", 1) for line in (BASE_DIR / "Procfile").read_text().splitlines() if line.strip())


@pytest.fixture(scope="module")
def fresh_checkout(tmp_path_factory) -> Path:
    """The files git would clone (tracked and new, not ignored): no var/, no .env, no static files."""
    target = tmp_path_factory.mktemp("checkout")
    files = (
        subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=BASE_DIR,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, files):
        source = BASE_DIR / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


@pytest.fixture(autouse=True)
def _empty_broker():
    """The Redis database these processes use holds no task of an earlier run, before or after."""
    import redis

    broker = redis.Redis.from_url(REDIS_URL)
    broker.flushdb()
    yield
    broker.flushdb()


def documented_environment(port: int) -> dict:
    """Only what README's deployment section and .env.example name as required."""
    db = connection.settings_dict
    return {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": os.environ.get("HOME", "/root"),
        "SECRET_KEY": "procfile-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": "127.0.0.1",
        "PORTAL_URL": "https://billing.example.com",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": REDIS_URL,
        "PORT": str(port),
    }


class Process:
    """One Procfile line running in a session of its own, its output collected as it comes."""

    def __init__(self, checkout: Path, name: str, port: int):
        self.popen = spawn(
            ["bash", "-c", "exec " + PROCFILE[name].strip()], env=documented_environment(port), cwd=checkout
        )
        self.lines = collect_output(self.popen)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, text: str, timeout: float = 60.0) -> None:
        with contextlib.suppress(TimeoutError):
            wait_until(lambda: text in self.output or self.popen.poll() is not None, timeout=timeout, interval=0.2)
        if text not in self.output:
            raise AssertionError(f"{text!r} not seen (exit code {self.popen.poll()}):\n{self.output[-3000:]}")

    def stop(self) -> str:
        stop(self.popen)
        time.sleep(0.2)
        return self.output


def test_the_procfile_names_web_worker_and_beat():
    assert set(PROCFILE) == {"web", "worker", "beat"}


def test_the_web_process_starts_and_answers(fresh_checkout):
    port = free_port()
    process = Process(fresh_checkout, "web", port)
    try:
        wait_for_port(port, timeout=60)
        status, location, _body = PortalBrowser(f"http://127.0.0.1:{port}").request("/")
        # Production settings send plain HTTP to HTTPS: the application itself answered.
        assert (status, location) == (301, f"https://127.0.0.1:{port}/")
        assert process.popen.poll() is None
    finally:
        output = process.stop()
    assert "Booting worker" in output and "Traceback" not in output, output[-3000:]


def test_the_worker_process_starts(fresh_checkout):
    process = Process(fresh_checkout, "worker", free_port())
    try:
        process.wait_for("ready.")
    finally:
        output = process.stop()
    assert "Traceback" not in output, output[-3000:]


def test_the_beat_process_starts_and_keeps_running(fresh_checkout):
    process = Process(fresh_checkout, "beat", free_port())
    try:
        process.wait_for("beat: Starting...")
        time.sleep(3)
        assert process.popen.poll() is None, process.output[-3000:]
    finally:
        output = process.stop()
    assert "Traceback" not in output and "ERROR" not in output, output[-3000:]
