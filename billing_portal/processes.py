"""Starting, watching and stopping the portal's processes on this machine.

One harness for the fault tests (billing_portal/tests/processes.py adds what needs the test
database), `make soak` (scripts/soak.py) and `make bench` (bench/run.py): each process runs in a
session of its own, so that stopping it stops its children (gunicorn's and Celery's workers) too.
Nothing here imports Django, so the scripts can use it before they set Django up.
"""

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
from collections.abc import Callable
from pathlib import Path
from typing import IO

BASE_DIR = Path(__file__).resolve().parent.parent


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


def wait_until(predicate: Callable, timeout: float = 20.0, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError("condition not met in time")


def spawn(args: list[str], *, env: dict, log: Path | IO | None = None, cwd: Path = BASE_DIR) -> subprocess.Popen:
    """Start `args` (in the project folder unless told), in a session of its own.

    Its output goes to `log` (a path, appended to, or an open file), or else to a pipe that
    `collect_output` reads as it comes.
    """
    if isinstance(log, Path):
        log.parent.mkdir(parents=True, exist_ok=True)
        log = log.open("a")
    return subprocess.Popen(
        args,
        cwd=cwd,
        env=env,
        start_new_session=True,
        stdout=log if log is not None else subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stop(process: subprocess.Popen, timeout: float = 15) -> None:
    """SIGTERM the process and its children (its session), SIGKILL whatever is left after `timeout`."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)
    except ProcessLookupError:
        pass


def collect_output(process: subprocess.Popen) -> list[str]:
    """Read a process's piped output as it comes (a full pipe would stall it); the list grows line by line."""
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True).start()
    return lines


def children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(line) for line in out.split()]


def process_tree(pid: int) -> list[int]:
    return [pid] + [descendant for child in children(pid) for descendant in process_tree(child)]


def rss_mb(pid: int) -> float:
    """Resident memory of one process in MB (0 once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def gunicorn_command(port: int, *, workers: int, host: str = "127.0.0.1", options: tuple[str, ...] = ()) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "billing_portal.wsgi",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        *options,
    ]


def celery_command(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "billing_portal", *arguments]


class RedisServer:
    """A private redis-server on a free port, which a fault test may stop and start at will."""

    def __init__(self, folder: Path):
        self.port = free_port()
        self.dir = folder
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
