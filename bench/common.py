"""What bench/seed.py and bench/run.py share: the bench environment (production settings on a
dedicated database) and small helpers. Nothing here touches the portal's own database or the
test suite's: every database name used by the benchmark starts with `bench_`.
"""

import os
import secrets
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VAR = BASE_DIR / "var" / "bench"

BENCH_DB = os.environ.get("BENCH_DB", "bench_portal")
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
# A Redis database of its own: the broker queue of a developer's portal stays untouched.
BENCH_REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")


def bench_env(secret_key: str | None = None) -> dict[str, str]:
    """Production settings (DEBUG off, manifest static files, database sessions) on plain HTTP."""
    if not BENCH_DB.startswith("bench_"):
        sys.exit(f"refusing to use database {BENCH_DB!r}: the benchmark's database name must start with bench_")
    return {
        "DJANGO_SETTINGS_MODULE": "billing_portal.settings",
        "DJANGO_DEBUG": "false",
        "SECRET_KEY": secret_key or os.environ.get("BENCH_SECRET_KEY") or "bench-" + secrets.token_urlsafe(40),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": f"{PG}/{BENCH_DB}",
        "REDIS_URL": BENCH_REDIS,
        "SECURE_SSL_REDIRECT": "false",
        "BASELINE_VIEW_ENABLED": "true",
        "PORTAL_URL": "http://127.0.0.1",
        "MEDIA_ROOT": str(VAR / "media"),
        "STATIC_ROOT": str(VAR / "static"),
        "DELIVERY_EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "LOG_LEVEL": "WARNING",
    }


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()


class Progress:
    """A one-line progress bar on stderr."""

    def __init__(self, label: str, total: int):
        self.label, self.total, self.done = label, max(total, 1), 0
        self.start = self.last = time.monotonic()

    def advance(self, count: int = 1) -> None:
        self.done += count
        now = time.monotonic()
        if now - self.last >= 0.2 or self.done >= self.total:
            self.last = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        share = min(self.done / self.total, 1.0)
        bar = "#" * int(share * 30)
        sys.stderr.write(
            f"\r  {self.label:<22} [{bar:<30}] {share:6.1%} {self.done:>9,}/{self.total:,} {now - self.start:6.1f}s"
        )
        sys.stderr.flush()

    def finish(self) -> None:
        self.done = self.total
        self._draw(time.monotonic())
        sys.stderr.write("\n")
