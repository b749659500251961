"""Servers that a fault test starts, stops or kills itself, so the shared ones are never disturbed."""

import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

BASE_DIR = Path(settings.BASE_DIR)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port}")


class RedisServer:
    def __init__(self, tmp_path: Path):
        self.port = free_port()
        self.dir = tmp_path
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server"),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


def collect_output(process: subprocess.Popen) -> list[str]:
    """Read a process's output as it comes (a full pipe would stall it); the list grows line by line."""
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True).start()
    return lines


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
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "billing_portal",
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
        ],
        cwd=BASE_DIR,
        env=worker_environment(redis_url, **extra),
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    process.lines = collect_output(process)
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)


def children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(line) for line in out.split()]


def task_succeeded(worker: subprocess.Popen, task_id: str) -> bool:
    return any(f"[{task_id}] succeeded" in line for line in worker.lines)


def wait_until(predicate, timeout: float = 20.0, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError("condition not met in time")


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
    log = open(static_root.parent / f"gunicorn-{port}.log", "w")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "billing_portal.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "30",
            "--graceful-timeout",
            "5",
        ],
        cwd=BASE_DIR,
        start_new_session=True,
        stdout=log,
        stderr=subprocess.STDOUT,
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
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)
        log.close()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class PortalBrowser:
    """A minimal HTTP client for a portal under gunicorn: cookies, CSRF, no redirect following."""

    def __init__(self, base_url: str, cookies: http.cookiejar.CookieJar | None = None):
        self.base_url = base_url
        self.cookies = cookies if cookies is not None else http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect)

    def request(self, path: str, data: dict | None = None, timeout: float = 30) -> tuple[int, str, str]:
        """(status, Location header, body)."""
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        request = urllib.request.Request(self.base_url + path, data=body, headers={"Referer": self.base_url + path})
        try:
            with self.opener.open(request, timeout=timeout) as response:
                return response.status, response.headers.get("Location", ""), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Location", ""), error.read().decode(errors="replace")

    @staticmethod
    def form_value(html: str, name: str) -> str:
        match = re.search(rf'name="{name}" value="([^"]*)"', html) or re.search(rf'value="([^"]*)" name="{name}"', html)
        if match is None:
            raise AssertionError(f"no field {name} in the page")
        return match.group(1)

    def sign_in(self, user_id: str, password: str) -> None:
        status, _, page = self.request("/")
        assert status == 200, f"sign-in page answered {status}: {page[:300]}"
        token = self.form_value(page, "csrfmiddlewaretoken")
        status, _, _ = self.request("/", {"csrfmiddlewaretoken": token, "username": user_id, "password": password})
        assert status == 302, f"sign-in failed with {status}"
