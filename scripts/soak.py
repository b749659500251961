"""Soak test: simulated billing contacts browse, place orders and decline quotes against gunicorn
on PostgreSQL for a while; then every receipt e-mail must have been delivered.

    make soak                       # 50 contacts, 10 minutes
    SOAK_USERS=10 SOAK_SECONDS=60 make soak

It uses a database of its own (soak_portal), a Redis database of its own (15), its own SMTP sink,
a Celery worker and beat, and touches nothing else. It prints a report and exits non-zero on any
error, on memory growth after warm-up, or on an undelivered receipt.
"""

import os
import random
import secrets
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from billing_portal.processes import (  # noqa: E402  (needs the project on the path)
    PortalBrowser,
    celery_command,
    free_port,
    gunicorn_command,
    process_tree,
    rss_mb,
    spawn,
    stop,
)

VAR = BASE_DIR / "var" / "soak"
USERS = int(os.environ.get("SOAK_USERS", 50))
SECONDS = int(os.environ.get("SOAK_SECONDS", 600))
QUOTES_PER_ACCOUNT = int(os.environ.get("SOAK_QUOTES", 400))
PG = os.environ.get("SOAK_PG", "postgres://postgres@127.0.0.1:5432")
DB = "soak_portal"
PASSWORD = "soak-password-2026"
WEB_WORKERS = 4


SMTP_PORT, WEB_PORT = free_port(), free_port()
ENV = {
    **os.environ,
    "DJANGO_SETTINGS_MODULE": "billing_portal.settings",
    "DJANGO_DEBUG": "false",
    "SECRET_KEY": "soak-" + secrets.token_urlsafe(40),
    "ALLOWED_HOSTS": "127.0.0.1",
    "DATABASE_URL": f"{PG}/{DB}",
    "REDIS_URL": "redis://127.0.0.1:6379/15",
    "SECURE_SSL_REDIRECT": "false",
    "SECURE_COOKIES": "false",
    "PORTAL_URL": f"http://127.0.0.1:{WEB_PORT}",
    "STATIC_ROOT": str(VAR / "static"),
    "MEDIA_ROOT": str(VAR / "media"),
    "LOG_LEVEL": "WARNING",
    "DELIVERY_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "EMAIL_HOST": "127.0.0.1",
    "EMAIL_PORT": str(SMTP_PORT),
    "PYTHONPATH": str(BASE_DIR),
}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def manage(*args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=ENV, check=True)


def prepare_database() -> None:
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DB], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", DB], check=True)
    subprocess.run(["redis-cli", "-n", "15", "flushdb"], check=True, stdout=subprocess.DEVNULL)
    manage("migrate", "--noinput", "-v0")
    manage("collectstatic", "--noinput", "-v0")


def seed() -> list[tuple[str, list[int]]]:
    """USERS accounts, each with a contact and QUOTES_PER_ACCOUNT submitted quotes."""
    os.environ.update(ENV)
    import django

    django.setup()
    from datetime import timedelta
    from decimal import Decimal

    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from accounts.models import CompanyAccount, User
    from quotes.models import QUOTE_VALIDITY, Product, Quote, QuoteLine, QuoteState

    password = make_password(PASSWORD)
    manager = User.objects.create(
        username="soak-manager", email="manager@soak.example", is_staff=True, password=password
    )
    products = [Product.objects.create(sku=f"SOAK-{n}", name=f"Soak product {n}") for n in range(3)]
    contacts = User.objects.bulk_create(
        # bulk_create skips User.save(), which fills the canonical User ID.
        User(
            username=f"soak-{n}",
            username_key=f"soak-{n}",
            email=f"soak-{n}@customer.example",
            first_name="Soak",
            last_name=str(n),
            password=password,
        )
        for n in range(USERS)
    )
    accounts = CompanyAccount.objects.bulk_create(
        CompanyAccount(
            number=f"S{n:05d}",
            name=f"Soak Customer {n}",
            account_manager=manager,
            billing_contact=contact,
            address_line1="1 Main Street",
            postal_code="10001",
            city="New York",
            region="NY",
            country="US",
        )
        for n, contact in enumerate(contacts)
    )
    submitted = timezone.now() - timedelta(hours=1)
    quotes = Quote.objects.bulk_create(
        Quote(
            number=f"Q-SOAK-{a.pk}-{n}",
            account=a,
            account_manager=manager,
            state=QuoteState.SUBMITTED,
            currency="USD",
            submitted_at=submitted,
            expires_at=submitted + QUOTE_VALIDITY,
        )
        for a in accounts
        for n in range(QUOTES_PER_ACCOUNT)
    )
    QuoteLine.objects.bulk_create(
        QuoteLine(
            quote=q,
            product=products[i % 3],
            description=products[i % 3].name,
            seats=5,
            unit_price=Decimal("99.00"),
            line_total=Decimal("495.00"),
        )
        for i, q in enumerate(quotes)
    )
    by_account: dict[int, list[int]] = {}
    for quote in quotes:
        by_account.setdefault(quote.account_id, []).append(quote.pk)
    return [(contact.username, by_account[account.pk]) for contact, account in zip(contacts, accounts, strict=True)]


def start(args: list[str], name: str) -> subprocess.Popen:
    return spawn(args, env=ENV, log=VAR / f"{name}.log")


class SmtpSink:
    def __init__(self):
        from aiosmtpd.controller import Controller

        self.recipients: Counter = Counter()
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                for rcpt in envelope.rcpt_tos:
                    sink.recipients[rcpt] += 1
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=SMTP_PORT)


def contact_loop(user_id: str, quote_ids: list[int], deadline: float, stats: Counter, lock: threading.Lock) -> None:
    browser = PortalBrowser(f"http://127.0.0.1:{WEB_PORT}")
    rng = random.Random(user_id)

    def hit(path, data=None, expect=(200,)):
        status, location, body = browser.request(path, data)
        with lock:
            stats["requests"] += 1
            if status not in expect:
                stats["errors"] += 1
                stats[f"error {status} {path.split('?')[0]}"] += 1
        return status, location, body

    browser.sign_in(user_id, PASSWORD)
    while time.monotonic() < deadline and quote_ids:
        hit("/quotes/")
        hit(rng.choice(["/invoices/", "/billing/", "/quotes/?state=accepted", "/quotes/?state=declined"]))
        quote = quote_ids.pop()
        _, _, page = hit(f"/quotes/{quote}/")
        token = browser.form_value(page, "csrfmiddlewaretoken")
        if rng.random() < 0.3:
            status, _, _ = hit(
                f"/quotes/{quote}/decline/", {"csrfmiddlewaretoken": token, "comment": "Too expensive."}, expect=(302,)
            )
            with lock:
                stats["declined"] += status == 302
        else:
            form = {
                "csrfmiddlewaretoken": token,
                "admin-admin_name": "Pat Admin",
                "admin-admin_email": f"admin-{user_id}@customer.example",
                "payment_method": "wire",
                "address-address_line1": "1 Main Street",
                "address-postal_code": "10001",
                "address-city": "New York",
                "address-region": "NY",
                "save_as": "default",
            }
            status, location, _ = hit(f"/quotes/{quote}/payment/", form, expect=(302,))
            if status == 302:
                _, _, review = hit(location)
                data = {
                    "csrfmiddlewaretoken": browser.form_value(review, "csrfmiddlewaretoken"),
                    "token": browser.form_value(review, "token"),
                }
                status, confirmation, _ = hit(location + "place/", data, expect=(302,))
                if status == 302:
                    hit(confirmation)
                    with lock:
                        stats["placed"] += 1
        time.sleep(rng.uniform(0.5, 1.5))  # think time


def main() -> int:
    VAR.mkdir(parents=True, exist_ok=True)
    log(f"preparing {DB} with {USERS} accounts × {QUOTES_PER_ACCOUNT} quotes")
    prepare_database()
    contacts = seed()
    sink = SmtpSink()
    sink.controller.start()
    processes = {
        "web": start(gunicorn_command(WEB_PORT, workers=WEB_WORKERS, options=("--max-requests", "0")), "web"),
        "worker": start(
            celery_command("worker", "--concurrency=2", "--loglevel=WARNING", "--max-tasks-per-child=200"), "worker"
        ),
        "beat": start(celery_command("beat", "--loglevel=WARNING", "-s", str(VAR / "beat-schedule")), "beat"),
    }
    stats, lock = Counter(), threading.Lock()
    memory: list[tuple[float, dict[int, float]]] = []
    try:
        time.sleep(4)
        started = time.monotonic()
        deadline = started + SECONDS
        threads = [
            threading.Thread(target=contact_loop, args=(user, quotes, deadline, stats, lock))
            for user, quotes in contacts
        ]
        for thread in threads:
            thread.start()
        while any(thread.is_alive() for thread in threads):
            pids = process_tree(processes["web"].pid) + process_tree(processes["worker"].pid)
            memory.append((time.monotonic() - started, {pid: rss_mb(pid) for pid in pids}))
            log(
                f"{stats['requests']:>7} requests, {stats['errors']} errors, "
                f"{stats['placed']} orders, {stats['declined']} declined"
            )
            for thread in threads:
                thread.join(timeout=30 / max(len(threads), 1))
        log("load finished; waiting for every e-mail to be delivered")
        os.environ.update(ENV)
        from post_office.models import STATUS, Email

        wait_until = time.monotonic() + 180
        while time.monotonic() < wait_until and Email.objects.exclude(status=STATUS.sent).exists():
            time.sleep(2)
        from quotes.models import ServiceOrder

        orders = ServiceOrder.objects.filter(state=ServiceOrder.State.PLACED).select_related("account__billing_contact")
        receipts_missing = sum(1 for order in orders if sink.recipients[order.account.billing_contact.email] == 0)
        placed = orders.count()
        receipts = sum(sink.recipients[f"soak-{n}@customer.example"] for n in range(USERS))
        unsent = Email.objects.exclude(status=STATUS.sent).count()
    finally:
        for process in processes.values():
            stop(process, timeout=20)
        sink.controller.stop()

    warm = next((sample for at, sample in memory if at >= min(120, SECONDS / 4)), memory[0][1])
    end = memory[-1][1]
    growth = {pid: end[pid] - warm[pid] for pid in end if pid in warm and warm[pid]}
    worst = max(growth.values(), default=0.0)
    print("\n| measure | value |\n| --- | --- |")
    for label, value in [
        ("contacts × duration", f"{USERS} × {SECONDS} s"),
        ("requests", stats["requests"]),
        ("requests per second", f"{stats['requests'] / SECONDS:.1f}"),
        ("errors", stats["errors"]),
        ("orders placed (portal / database)", f"{stats['placed']} / {placed}"),
        ("quotes declined", stats["declined"]),
        ("receipt and notice e-mails delivered to contacts", receipts),
        ("orders whose contact got no receipt", receipts_missing),
        ("e-mails not sent at the end", unsent),
        ("RSS per process after warm-up → end (MB)", ", ".join(f"{warm[p]:.0f}→{end[p]:.0f}" for p in sorted(growth))),
        ("largest growth after warm-up (MB)", f"{worst:.1f}"),
    ]:
        print(f"| {label} | {value} |")
    for key, count in stats.items():
        if key.startswith("error "):
            print(f"  {key}: {count}")
    ok = stats["errors"] == 0 and receipts_missing == 0 and unsent == 0 and placed == stats["placed"] and worst < 20
    print("\nSOAK PASSED" if ok else "\nSOAK FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
