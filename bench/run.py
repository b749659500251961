"""`make bench`: seed (if needed), serve with gunicorn and production settings, load every page, print one table.

    .venv/bin/python bench/run.py [--sizes 1,5] [--workers 4] [--duration 10] [--scale-out] [--only-scale-out]

The pages are measured at each data size of `--sizes` (default 1 and 5: 1,000 and 5,000 accounts),
each in a database of its own (`bench_portal`, `bench_portal_x5`; `--databases` names them, and with
`BENCH_DB` set and no `--sizes` only that database is measured, as before). Each size runs in a
process of its own (the steps below); then one table per size, a flatness table (each page's
requests/s at the largest size over the smallest, goal ≥ 0.9, and its SQL query count at every size,
which must be equal), and the EXPLAIN check of the largest size (bench/explain.py: no sequential scan
of quotes, invoices or their lines on any page).

1. Seeds the size's database with bench/seed.py unless it is seeded already (at that scale).
2. Starts gunicorn (sync workers, production settings: DEBUG off, manifest static files,
   sessions in PostgreSQL, persistent connections) on 127.0.0.1.
3. Signs in contacts of different accounts through the real sign-in form and, page by page,
   measures requests/s at saturation with wrk (1 thread, 2 connections per worker, after a
   warm-up) and p50/p95/p99 at half that rate with bench/loadgen.py (constant rate, latency from
   each request's due time). The baseline (/_baseline/: sign-in check and middleware only) is
   measured in the same run; every page is shown as a share of its requests/s.
4. Writes: "Place Service Order" over HTTP (the real POST of the review page, with its CSRF
   token and order token): 50 contacts on distinct quotes at once (a queueing figure: 50 requests
   for a few workers), 50 within 2 s, and at saturation (orders per second with 2 connections per
   worker, over 50 contacts with several draft orders each; goal ≥ 0.3 of the baseline's
   requests/s) and at half that rate (goal p99 < 100 ms); the expiry service over every due
   quote, beside a plain SQL UPDATE of the same rows.
5. Reads each gunicorn worker's resident memory, stops everything, prints the table, and
   writes it to var/bench/results.md (and every figure, by size, to results.json).

`--scale-out` then runs (at the first size) two gunicorn instances, two Celery workers and one beat
against the same PostgreSQL and Redis, checks that a session made on one instance works on the
other, drives mixed pages and orders round robin across both, and waits for the workers to deliver
every receipt: zero errors or the run fails.
"""

import argparse
import json
import os
import re
import secrets
import subprocess
import sys
import threading
import time
import urllib.parse
from datetime import timedelta
from http.client import HTTPConnection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import seed as bench_seed
from bench.common import BASE_DIR, BENCH_DB, VAR, bench_env, setup_django
from billing_portal import processes

HOST = "127.0.0.1"
QUOTE_MENUS = ["open", "accepted", "declined", "expired", "withdrawn"]  # quotes.selectors.MENU
PAGES = [
    "sign-in",
    "frame",
    *(f"quotes-{menu}" for menu in QUOTE_MENUS),
    "quote-review",
    "payment",
    "cart",
    "cart-payment",
    "order-review",
    "orders",
    "invoices",
    "invoice-detail",
    "invoice-pdf",
    "billing",
    "products",
]
LABELS = {
    "baseline": "Baseline (/_baseline/)",
    "sign-in": "Sign-in page",
    "frame": "Frame (/_frame/, empty page)",
    **{f"quotes-{menu}": f"Quotes ({menu.capitalize()})" for menu in QUOTE_MENUS},
    "quote-review": "Quote review",
    "payment": "Payment (one quote)",
    "cart": "Cart",
    "cart-payment": "Payment (cart)",
    "order-review": "Order review",
    "orders": "Orders",
    "invoices": "Invoices (last 20)",
    "invoice-detail": "Invoice detail",
    "invoice-pdf": "Stored PDF download",
    "billing": "Billing",
    "products": "Products",
}
GOAL_RATIO, GOAL_FRAME_RATIO, GOAL_P99, GOAL_PLACE_P99, GOAL_EXPIRY, GOAL_RSS = 0.6, 0.85, 50.0, 100.0, 2.0, 150.0
GOAL_EXPIRY_BATCH_S, GOAL_EXPIRY_LOAD_P99 = 1.0, 100.0
GOAL_ORDERS_RATIO, GOAL_FLAT = 0.3, 0.9  # orders/s at saturation to baseline req/s; large-size rate to small
PROCESSES: list[subprocess.Popen] = []


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# Processes ----------------------------------------------------------------------------------------


def spawn(args: list[str], env: dict, logfile: Path) -> subprocess.Popen:
    process = processes.spawn(args, env={**os.environ, **env}, log=logfile)
    PROCESSES.append(process)
    return process


def stop(process: subprocess.Popen, timeout: float = 20) -> None:
    """Stop a process we started, and its children (its own session)."""
    processes.stop(process, timeout)
    if process in PROCESSES:
        PROCESSES.remove(process)


def stop_all() -> None:
    for process in list(PROCESSES):
        stop(process)


GUNICORN_THREADS = 1  # --threads: more than one runs gthread workers instead of sync ones


def worker_kind(result: dict) -> str:
    threads = result.get("threads", 1)
    return f"gthread, {threads} threads each" if threads > 1 else "sync"


def start_gunicorn(env: dict, port: int, workers: int) -> subprocess.Popen:
    worker = ("--worker-class", "gthread", "--threads", str(GUNICORN_THREADS)) if GUNICORN_THREADS > 1 else ()
    options = (
        *(worker or ("--worker-class", "sync")),
        *("--backlog", "2048", "--graceful-timeout", "5", "--log-level", "warning"),
    )
    process = spawn(
        processes.gunicorn_command(port, workers=workers, host=HOST, options=options), env, VAR / f"gunicorn-{port}.log"
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if http("GET", port, "/")[0] == 200:
                return process
        except OSError:
            pass
        if process.poll() is not None:
            sys.exit(f"gunicorn on port {port} exited; see {VAR / f'gunicorn-{port}.log'}")
        time.sleep(0.3)
    sys.exit(f"gunicorn on port {port} did not answer within 60 s")


def worker_rss_mb(master: subprocess.Popen) -> list[float]:
    return [round(processes.rss_mb(pid), 1) for pid in processes.children(master.pid)]


# HTTP ---------------------------------------------------------------------------------------------


def http(
    method: str, port: int, path: str, *, cookies: dict | None = None, form: dict | None = None, timeout: float = 30
) -> tuple[int, dict, str]:
    connection = HTTPConnection(HOST, port, timeout=timeout)
    headers = {"Host": HOST, "Accept": "text/html"}
    if cookies:
        headers["Cookie"] = "; ".join(f"{key}={value}" for key, value in cookies.items())
    body = None
    if form is not None:
        body = urllib.parse.urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        set_cookies = {}
        for key, value in response.getheaders():
            if key.lower() == "set-cookie":
                name, _eq, rest = value.partition("=")
                set_cookies[name] = rest.split(";", 1)[0]
            if key.lower() == "location":
                set_cookies["__location"] = value
        content = response.read()
        return response.status, set_cookies, content.decode("utf-8", "replace") if b"%PDF" not in content[:8] else ""
    finally:
        connection.close()


def sign_in(port: int, username: str, password: str) -> dict:
    """The real sign-in form: GET it for the CSRF cookie and token, POST the User ID and password."""
    status, cookies, html = http("GET", port, "/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    status, set_cookies, _html = http(
        "POST",
        port,
        "/",
        cookies={"csrftoken": cookies["csrftoken"]},
        form={"csrfmiddlewaretoken": token, "username": username, "password": password},
    )
    if status != 302 or "sessionid" not in set_cookies:
        raise RuntimeError(f"sign-in of {username} failed: HTTP {status}")
    # Signing in rotates the CSRF token: the browser keeps the cookie of that answer.
    return {"sessionid": set_cookies["sessionid"], "csrftoken": set_cookies.get("csrftoken", cookies["csrftoken"])}


def session_for(user, account) -> str:
    """A signed-in session made the way django.contrib.auth.login makes one (for the write rounds)."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from accounts.decorators import SESSION_ACCOUNT_KEY

    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = user._meta.pk.value_to_string(user)
    session[BACKEND_SESSION_KEY] = "accounts.backends.UserIDBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[SESSION_ACCOUNT_KEY] = account.pk
    session.create()
    return session.session_key


# Data ---------------------------------------------------------------------------------------------


def shift_clock() -> None:
    """Keep the seeded quotes as old as they were at seeding: open quotes stay open however late the run."""
    from django.db import connection, transaction
    from django.utils import timezone
    from django.utils.dateparse import parse_datetime

    with connection.cursor() as cursor:
        cursor.execute("SELECT value FROM bench_meta WHERE key = 'clock'")
        clock = parse_datetime(cursor.fetchone()[0])
        delta = timezone.now() - clock
        if delta < timedelta(minutes=30):
            return
        log(f"Moving quote timestamps forward by {delta} so that the seeded open quotes are still open ...")
        with transaction.atomic():
            cursor.execute(
                "UPDATE quotes_quote SET created_at = created_at + %(d)s, submitted_at = submitted_at + %(d)s, "
                "expires_at = expires_at + %(d)s, decided_at = decided_at + %(d)s, "
                "reminder_sent_at = reminder_sent_at + %(d)s",
                {"d": delta},
            )
            cursor.execute("UPDATE bench_meta SET value = %s WHERE key = 'clock'", [(clock + delta).isoformat()])
        cursor.execute("VACUUM ANALYZE quotes_quote")


def pick_contacts(count: int):
    """Contacts spread over the accounts, each with the account the portal opens for them first."""
    from accounts.models import CompanyAccount, User

    contacts = list(User.objects.filter(is_staff=False, username__startswith="bench-contact-").order_by("pk"))
    step = max(1, len(contacts) // count)
    chosen = []
    for user in contacts[::step][:count]:
        account = CompanyAccount.objects.for_contact(user).order_by("name").first()
        chosen.append((user, account))
    return chosen


def page_targets(port: int, contacts, password: str) -> dict[str, list[tuple[str, str]]]:
    """Per page: (path, Cookie header) for each signed-in contact, each on its own account's objects."""
    from billing_portal.documents import document_ensure
    from invoices.documents import INVOICE_PDF
    from invoices.models import Invoice, InvoiceState
    from quotes.models import Quote

    targets: dict[str, list[tuple[str, str]]] = {name: [] for name in LABELS}  # every page; --pages keeps some
    sessions = {}
    threads = [
        threading.Thread(target=lambda u=user: sessions.__setitem__(u.pk, sign_in(port, u.username, password)))
        for user, _account in contacts
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for user, account in contacts:
        # Both cookies, as a browser sends them: without its CSRF cookie every page with a form would make
        # a new CSRF secret and set it again, which no browser's second request costs.
        cookie = f"sessionid={sessions[user.pk]['sessionid']}; csrftoken={sessions[user.pk]['csrftoken']}"
        quote = Quote.objects.open().filter(account=account, carts__isnull=True).order_by("expires_at", "pk").last()
        invoice = Invoice.objects.filter(account=account, state=InvoiceState.ISSUED).order_by("-issue_date").first()
        document_ensure(INVOICE_PDF, pk=invoice.pk, missing_file=True)  # measured: the stored-PDF download
        targets["baseline"].append(("/_baseline/", cookie))
        targets["sign-in"].append(("/", ""))
        targets["frame"].append(("/_frame/", cookie))
        targets["quotes-open"].append(("/quotes/", cookie))
        for menu in QUOTE_MENUS[1:]:
            targets[f"quotes-{menu}"].append((f"/quotes/?state={menu}", cookie))
        targets["quote-review"].append((f"/quotes/{quote.pk}/", cookie))
        targets["payment"].append((f"/quotes/{quote.pk}/payment/", cookie))
        targets["cart"].append(("/quotes/cart/", cookie))
        targets["cart-payment"].append(("/quotes/cart/payment/", cookie))
        targets["order-review"].append((f"/quotes/orders/{review_draft(user, account).pk}/", cookie))
        targets["orders"].append(("/quotes/orders/", cookie))
        targets["invoices"].append(("/invoices/", cookie))
        targets["invoice-detail"].append((f"/invoices/{invoice.pk}/", cookie))
        targets["invoice-pdf"].append((f"/invoices/{invoice.pk}/pdf/", cookie))
        targets["billing"].append(("/billing/", cookie))
        targets["products"].append(("/quotes/products/", cookie))
    return {name: page_list for name, page_list in targets.items() if name == "baseline" or name in PAGES}


def review_draft(user, account):
    """The draft service order whose review page is measured: the account's newest draft of open quotes
    (left by an earlier run), or a new one on an open quote that no order holds yet."""
    from quotes.models import Quote, ServiceOrder
    from quotes.selectors import service_order_for_account

    drafts = ServiceOrder.objects.filter(account=account, state=ServiceOrder.State.DRAFT).order_by("-pk")
    for pk in drafts.values_list("pk", flat=True)[:5]:
        order = service_order_for_account(account=account, pk=pk)
        if all(quote.is_open for quote in order.quote_items):
            return order
    quote = (
        Quote.objects.open()
        .filter(account=account, carts__isnull=True, service_orders__isnull=True)
        .order_by("expires_at", "pk")
        .first()
    )
    return draft_order(account, user, quote)


def check_targets(port: int, targets: list[tuple[str, str]]) -> None:
    for path, cookie in targets:
        cookies = dict(part.split("=", 1) for part in cookie.split("; ")) if cookie else None
        status, _c, _html = http("GET", port, path, cookies=cookies)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}, not 200: the load would measure the wrong thing")


def static_check(port: int) -> str:
    """Static files: hashed names, compressed, cached for ever (whitenoise with the manifest storage)."""
    from django.templatetags.static import static

    url = static("bootstrap/css/bootstrap.min.css")
    connection = HTTPConnection(HOST, port, timeout=10)
    try:
        connection.request("GET", url, headers={"Host": HOST, "Accept-Encoding": "br, gzip"})
        response = connection.getresponse()
        response.read()
        return (
            f"{url}: HTTP {response.status}, Content-Encoding {response.getheader('Content-Encoding')}, "
            f"Cache-Control {response.getheader('Cache-Control')}"
        )
    finally:
        connection.close()


def count_queries(path: str, cookie: str) -> int:
    """How many SQL queries one request of the page runs (in this process, through the same middleware)."""
    from django.db import connection
    from django.test import Client

    client = Client(HTTP_HOST=HOST)
    for part in cookie.split("; ") if cookie else []:
        name, _eq, value = part.partition("=")
        client.cookies[name] = value
    sent = []
    with connection.execute_wrapper(
        lambda execute, sql, params, many, context: sent.append(sql) or execute(sql, params, many, context)
    ):
        response = client.get(path)
    response.close()
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} answered {response.status_code} in the query count")
    return len(sent)


def write_targets(name: str, targets: list[tuple[str, str]]) -> Path:
    path = VAR / f"targets-{name}.tsv"
    path.write_text("".join(f"{target}\t{cookie}\n" for target, cookie in targets))
    return path


# Load ---------------------------------------------------------------------------------------------


def wrk(ports: list[int], targets_file: Path, *, connections: int, seconds: float, threads: int = 1) -> dict:
    env = {**os.environ, "WRK_PORTS": ",".join(map(str, ports))} if len(ports) > 1 else dict(os.environ)
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{int(seconds)}s",
            "--timeout",
            "10s",
            "--latency",
            "-s",
            str(BASE_DIR / "bench" / "rotate.lua"),
            f"http://{HOST}:{ports[0]}/",
            "--",
            str(targets_file),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=seconds + 60,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    socket_errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    bad = int(re.search(r"BAD_STATUS (\d+)", out).group(1))
    return {"rps": rps, "requests": requests, "errors": socket_errors + bad, "raw": out}


def loadgen(ports: list[int], targets_file: Path, *, rate: float, seconds: float, expect: int = 200) -> dict:
    out = subprocess.run(
        [
            sys.executable,
            str(BASE_DIR / "bench" / "loadgen.py"),
            "--targets",
            str(targets_file),
            "--ports",
            ",".join(map(str, ports)),
            "--rate",
            f"{rate:.1f}",
            "--duration",
            str(seconds),
            "--expect",
            str(expect),
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 120,
        check=True,
    ).stdout
    return json.loads(out)


def measure_page(name: str, ports: list[int], targets: list[tuple[str, str]], args, workers: int) -> dict:
    targets_file = write_targets(name, targets)
    connections = 2 * workers * len(ports)
    wrk(ports, targets_file, connections=connections, seconds=args.warmup)
    saturation = wrk(ports, targets_file, connections=connections, seconds=args.duration, threads=len(ports))
    half = loadgen(ports, targets_file, rate=saturation["rps"] / 2, seconds=args.duration)
    row = {
        "page": name,
        "label": LABELS[name],
        "queries": count_queries(*targets[0]),
        "rps": saturation["rps"],
        "requests": saturation["requests"],
        "errors": saturation["errors"] + half["errors"],
        "half_rate": half["rate"],
        "p50": half["p50_ms"],
        "p95": half["p95_ms"],
        "p99": half["p99_ms"],
        "half_statuses": half["statuses"],
        "per_port": half["per_port"],
    }
    log(
        f"{LABELS[name]:<24} {row['rps']:8.1f} req/s   at {half['rate']:.0f}/s: p50 {half['p50_ms']:.1f} ms  "
        f"p95 {half['p95_ms']:.1f} ms  p99 {half['p99_ms']:.1f} ms  errors {row['errors']}"
    )
    return row


# Writes -------------------------------------------------------------------------------------------


def prepare_orders(contacts) -> list[dict]:
    """One draft service order per contact, on an open quote of their own, through the real service."""
    from quotes.models import Quote

    orders = []
    for user, account in contacts:
        quote = (
            Quote.objects.open()
            .filter(account=account, carts__isnull=True, service_orders__isnull=True)
            .order_by("expires_at", "pk")
            .last()
        )
        order = draft_order(account, user, quote)
        orders.append({"order": order, "session": session_for(user, account)})
    return orders


def place_orders(ports: list[int], orders: list[dict], *, spread_seconds: float = 0.0) -> list[float]:
    """POST "Place Service Order" for every order, all released at once (or spread evenly over a window)."""
    csrf = secrets.token_hex(16)  # a 32-character CSRF secret: Django accepts it unmasked in the form too
    prepared = []
    for i, item in enumerate(orders):
        port = ports[i % len(ports)]
        cookies = {"sessionid": item["session"], "csrftoken": csrf}
        status, _c, html = http("GET", port, f"/quotes/orders/{item['order'].pk}/", cookies=cookies)  # the review page
        terms = re.search(r'name="terms" value="(\d+)"', html)
        placeable = f"/quotes/orders/{item['order'].pk}/place/" in html  # the form, in whatever language
        if status != 200 or not placeable or terms is None:
            raise RuntimeError(f"review page of order {item['order'].pk}: HTTP {status}, terms shown: {bool(terms)}")
        prepared.append((port, item["order"], cookies, terms.group(1)))
    latencies: list[float] = []
    failures: list[str] = []
    barrier = threading.Barrier(len(prepared))

    def post(index: int, port: int, order, cookies, terms: str) -> None:
        barrier.wait()
        if spread_seconds:
            time.sleep(spread_seconds * index / len(prepared))
        start = time.perf_counter()
        status, set_cookies, _html = http(
            "POST",
            port,
            f"/quotes/orders/{order.pk}/place/",
            cookies=cookies,
            # The contact ticks "I accept the terms and place a binding order" for the version shown.
            form={
                "csrfmiddlewaretoken": cookies["csrftoken"],
                "token": str(order.token),
                "terms": terms,
                "accept": "on",
            },
        )
        latencies.append((time.perf_counter() - start) * 1000)
        if status != 302 or "confirmation" not in set_cookies.get("__location", ""):
            failures.append(f"order {order.pk}: HTTP {status}")

    threads = [threading.Thread(target=post, args=(i, *item)) for i, item in enumerate(prepared)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError("Place Service Order failed: " + "; ".join(failures[:5]))
    return latencies


def measure_place_order(ports: list[int], args) -> dict:
    from quotes.models import ServiceOrder

    contacts = pick_contacts(50)
    burst: list[float] = []
    for _round in range(args.order_rounds):
        burst += place_orders(ports, prepare_orders(contacts))
    spread = place_orders(ports, prepare_orders(contacts), spread_seconds=2.0)
    placed = ServiceOrder.objects.filter(state=ServiceOrder.State.PLACED, admin_name="Bench Admin").count()
    result = {
        "contacts": len(contacts),
        "rounds": args.order_rounds,
        "burst_samples": len(burst),
        "burst_p50": pct(burst, 0.5),
        "burst_p99": pct(burst, 0.99),
        "spread_p50": pct(spread, 0.5),
        "spread_p99": pct(spread, 0.99),
        "placed_total": placed,
    }
    log(
        f"Place Service Order, {len(contacts)} at once x{args.order_rounds}: p50 {result['burst_p50']:.0f} ms, p99 "
        f"{result['burst_p99']:.0f} ms; {len(contacts)} over 2 s: "
        f"p50 {result['spread_p50']:.0f} ms, p99 {result['spread_p99']:.0f} ms"
    )
    return result


def saturation_contacts(count: int, per_contact: int) -> list:
    """`count` billing contacts of different accounts, each with `per_contact` open quotes that no cart or
    order holds yet (earlier runs use quotes up: accounts that have too few left are passed over)."""
    from django.db.models import Count

    from accounts.models import CompanyAccount
    from quotes.models import Quote

    available = dict(
        Quote.objects.open()
        .filter(carts__isnull=True, service_orders__isnull=True)
        .values("account")
        .annotate(n=Count("pk"))
        .values_list("account", "n")
    )
    accounts = list(
        CompanyAccount.objects.filter(
            pk__in=[pk for pk, n in available.items() if n >= per_contact],
            billing_contact__username__startswith="bench-contact-",
        )
        .select_related("billing_contact")
        .order_by("pk")
    )
    chosen, seen = [], set()
    for account in accounts[:: max(1, len(accounts) // count)] + accounts:
        if account.billing_contact_id not in seen and len(chosen) < count:
            seen.add(account.billing_contact_id)
            chosen.append((account.billing_contact, account))
    if not chosen:
        raise RuntimeError(f"no account has {per_contact} unused open quotes: seed again with --reset")
    if len(chosen) < count:
        log(f"Only {len(chosen)} contacts have {per_contact} unused open quotes: the orders are spread over them")
    return chosen


def prepare_many_orders(contacts, per_contact: int) -> list[dict]:
    """`per_contact` draft service orders per contact, each on an open quote of its own, one session per
    contact; interleaved so that consecutive orders are of different accounts."""
    from quotes.models import Quote

    rounds: list[list[dict]] = [[] for _ in range(per_contact)]
    for user, account in contacts:
        session = session_for(user, account)
        quotes = (
            Quote.objects.open()
            .filter(account=account, carts__isnull=True, service_orders__isnull=True)
            .order_by("-expires_at", "-pk")[:per_contact]
        )
        for n, quote in enumerate(quotes):
            order = draft_order(account, user, quote)
            rounds[n].append({"order": order, "session": session})
    return [item for round_ in rounds for item in round_]


def review_orders(ports: list[int], orders: list[dict], connections: int) -> list[tuple]:
    """GET each order's review page, as the contact does before placing it: (port, order, cookies, terms)."""
    from concurrent.futures import ThreadPoolExecutor

    csrf = secrets.token_hex(16)

    def review(index_item):
        i, item = index_item
        port = ports[i % len(ports)]
        cookies = {"sessionid": item["session"], "csrftoken": csrf}
        status, _c, html = http("GET", port, f"/quotes/orders/{item['order'].pk}/", cookies=cookies)
        terms = re.search(r'name="terms" value="(\d+)"', html)
        if status != 200 or terms is None or f"/quotes/orders/{item['order'].pk}/place/" not in html:
            raise RuntimeError(f"review page of order {item['order'].pk}: HTTP {status}, terms shown: {bool(terms)}")
        return port, item["order"], cookies, terms.group(1)

    with ThreadPoolExecutor(connections) as pool:
        return list(pool.map(review, enumerate(orders)))


def post_place(port: int, order, cookies: dict, terms: str) -> tuple[float, str | None]:
    """POST "Place Service Order" (terms ticked for the version shown): (milliseconds, failure or None)."""
    start = time.perf_counter()
    status, set_cookies, _html = http(
        "POST",
        port,
        f"/quotes/orders/{order.pk}/place/",
        cookies=cookies,
        form={"csrfmiddlewaretoken": cookies["csrftoken"], "token": str(order.token), "terms": terms, "accept": "on"},
    )
    elapsed = (time.perf_counter() - start) * 1000
    ok = status == 302 and "confirmation" in set_cookies.get("__location", "")
    return elapsed, None if ok else f"order {order.pk}: HTTP {status}"


def place_at_saturation(reviewed: list[tuple], *, connections: int, seconds: float) -> dict:
    """Place the reviewed orders as fast as `connections` clients can (each sends its next POST when the
    last is answered), for `seconds` or until they are used up: orders per second over the time taken."""
    pending = list(reversed(reviewed))
    lock = threading.Lock()
    latencies: list[float] = []
    failures: list[str] = []
    deadline = time.perf_counter() + seconds

    def client() -> None:
        while time.perf_counter() < deadline:
            with lock:
                if not pending:
                    return
                item = pending.pop()
            elapsed, failure = post_place(*item)
            with lock:
                latencies.append(elapsed)
                if failure:
                    failures.append(failure)

    start = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if failures:
        raise RuntimeError("Place Service Order failed: " + "; ".join(failures[:5]))
    return {"placed": len(latencies), "seconds": elapsed, "rate": len(latencies) / elapsed, "latencies": latencies}


def measure_orders_at_saturation(ports: list[int], args, workers: int) -> dict:
    """Orders per second at saturation (50 contacts on distinct quotes, 2 connections per worker), then
    p50/p99 with the same number of orders sent evenly at half that rate."""
    contacts_n, per_contact = 50, args.orders_per_contact
    connections = 2 * workers * len(ports)
    log(f"Orders at saturation: preparing {contacts_n} x {per_contact} draft orders and their review pages ...")
    contacts = saturation_contacts(contacts_n, 2 * per_contact)
    contacts_n = len(contacts)
    saturation = place_at_saturation(
        review_orders(ports, prepare_many_orders(contacts, per_contact), connections),
        connections=connections,
        seconds=args.duration,
    )
    half_rate = saturation["rate"] / 2
    spread_orders = prepare_many_orders(contacts, per_contact)
    count = max(contacts_n, min(len(spread_orders), round(half_rate * args.duration)))
    half = place_orders(ports, spread_orders[:count], spread_seconds=count / half_rate)
    result = {
        "contacts": contacts_n,
        "connections": connections,
        "workers": workers * len(ports),
        "placed": saturation["placed"],
        "seconds": saturation["seconds"],
        "rate": saturation["rate"],
        "saturation_p50": pct(saturation["latencies"], 0.5),
        "saturation_p99": pct(saturation["latencies"], 0.99),
        "half_rate": half_rate,
        "half_samples": len(half),
        "half_p50": pct(half, 0.5),
        "half_p95": pct(half, 0.95),
        "half_p99": pct(half, 0.99),
    }
    log(
        f"Orders at saturation: {result['placed']} placed in {result['seconds']:.1f} s = {result['rate']:.1f}/s "
        f"({connections} connections); {len(half)} at {half_rate:.1f}/s: p50 {result['half_p50']:.0f} ms, "
        f"p99 {result['half_p99']:.0f} ms"
    )
    return result


def draft_order(account, user, quote):
    """What "Save and Proceed to Service Order" creates for one quote, with a made-up admin contact."""
    from quotes.services import service_order_draft_create

    return service_order_draft_create(
        account=account,
        actor=user,
        quote_ids=[quote.pk],
        admin_name="Bench Admin",
        admin_email=f"admin-{account.pk}@company.example",
    )


def pct(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def reset_due_quotes() -> int:
    """Set the seeded due quotes back to submitted (all overdue), without their expiry audit entries."""
    from django.db import connection, transaction

    from accounts.models import AuditEntry

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE quotes_quote q SET state = 'submitted', decided_at = NULL FROM bench_due_quote d WHERE q.id = d.id"
        )
        count = cursor.rowcount
        AuditEntry.objects.filter(action="quote_expire").delete()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE quotes_quote")
        cursor.execute("VACUUM ANALYZE accounts_auditentry")
        cursor.execute("CHECKPOINT")
    return count


def expire_timed(now) -> tuple[int, float, list[float]]:
    """Run the expiry service on this thread's connection: (quotes expired, seconds, seconds of each batch).

    A batch's time runs from the start of its statement (which locks its rows) to the start of the
    statement after it (the next batch's, or the notices' first, both after its commit), less any pause
    the service made in between (it pauses while others use the database), and for a last batch without
    notices to the service's return: what each batch's transaction took, commit included, and so an upper
    bound on how long it held its row locks. The service's question whether others are at work, asked
    inside the batch's transaction, is part of the batch.
    """
    from types import SimpleNamespace

    from django.db import connection

    import quotes.services.expiry as expiry_module
    from quotes.services import quotes_expire_due

    statements: list[tuple[float, bool]] = []  # (start, whether it is a batch)
    pauses: list[tuple[float, float]] = []  # (start, seconds)

    def note_start(execute, sql, params, many, context):
        if "pg_stat_" not in sql:
            statements.append((time.perf_counter(), "UPDATE quotes_quote" in sql))
        return execute(sql, params, many, context)

    def pause(seconds: float) -> None:
        pauses.append((time.perf_counter(), seconds))
        time.sleep(seconds)

    service_time = expiry_module.time
    expiry_module.time = SimpleNamespace(monotonic=service_time.monotonic, sleep=pause)
    start = time.perf_counter()
    try:
        with connection.execute_wrapper(note_start):
            expired = quotes_expire_due(now=now)
    finally:
        expiry_module.time = service_time
    end = time.perf_counter()
    ends = [next_start for next_start, _batch in statements[1:]] + [end]
    batches = [
        finish - begin - sum(seconds for at, seconds in pauses if begin <= at < finish)
        for (begin, is_batch), finish in zip(statements, ends, strict=True)
        if is_batch
    ]
    return expired, end - start, batches


def measure_expiry(rounds: int = 3) -> dict:
    """The expiry service over every due quote (the seeded `bench_due_quote` rows), beside a plain UPDATE
    of the same rows, alternately; rows reset between. Best and median of the rounds, and the longest batch."""
    from statistics import median

    from django.conf import settings
    from django.db import connection, transaction
    from django.utils import timezone

    plain_times, task_times, longest_batches, batches = [], [], [], 0
    for _round in range(rounds):
        due = reset_due_quotes()
        now = timezone.now()
        start = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "UPDATE quotes_quote SET state = 'expired', decided_at = expires_at "
                "WHERE state = 'submitted' AND expires_at <= %s",
                [now],
            )
            plain_rows = cursor.rowcount
        plain_times.append(time.perf_counter() - start)

        reset_due_quotes()
        task_rows, seconds, batch_seconds = expire_timed(now)
        task_times.append(seconds)
        longest_batches.append(max(batch_seconds))
        batches = len(batch_seconds)
        if not due == plain_rows == task_rows:
            raise RuntimeError(f"expiry: {due} due quotes, plain UPDATE changed {plain_rows}, the service {task_rows}")
    plain, task = min(plain_times), min(task_times)
    plain_median, task_median = median(plain_times), median(task_times)
    result = {
        "rows": due,
        "plain_s": plain,
        "task_s": task,
        "ratio": task / plain,
        "plain_median_s": plain_median,
        "task_median_s": task_median,
        "ratio_median": task_median / plain_median,
        "batch_size": settings.QUOTE_EXPIRY_BATCH,
        "batches": batches,
        "longest_batch_s": max(longest_batches),
        "rounds": rounds,
        "plain_all": plain_times,
        "task_all": task_times,
    }
    log(
        f"Expiry of {due:,} quotes in {batches} batches of {result['batch_size']:,}, {rounds} rounds: "
        f"best: service {task:.2f} s, plain UPDATE {plain:.2f} s, ratio {result['ratio']:.2f}; "
        f"median: service {task_median:.2f} s, plain UPDATE {plain_median:.2f} s, ratio {result['ratio_median']:.2f}; "
        f"longest batch {result['longest_batch_s']:.3f} s"
    )
    return result


EXPIRY_LOAD_RATE = 20.0  # Quotes (Open) requests per second while the expiry runs, unless told another rate


def measure_expiry_under_load(
    ports: list[int], targets: list[tuple[str, str]], args, *, rate: float = EXPIRY_LOAD_RATE
) -> dict:
    """The Quotes (Open) page at a constant rate for as long as the expiry of every due quote runs beside it.

    The expiry runs on a thread of this process with its own database connection, as beat's worker would;
    the load generator is started first and stopped when the expiry returns.
    """
    from django.db import connection
    from django.utils import timezone

    due = reset_due_quotes()
    targets_file = write_targets("quotes-open-expiry", targets)
    stop_file = VAR / "expiry-done"
    stop_file.unlink(missing_ok=True)
    expiry: dict = {}

    def expire() -> None:
        try:
            expiry["rows"], expiry["seconds"], expiry["batches"] = expire_timed(timezone.now())
        finally:
            connection.close()
            stop_file.touch()

    command = [
        sys.executable,
        str(BASE_DIR / "bench" / "loadgen.py"),
        *("--targets", str(targets_file), "--ports", ",".join(map(str, ports))),
        *("--rate", f"{rate:.1f}", "--duration", "600", "--stop-file", str(stop_file)),
    ]
    load = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(0.5)  # the load generator's start-up: the page is under load when the expiry begins
        runner = threading.Thread(target=expire)
        runner.start()
        runner.join()
        out, _err = load.communicate(timeout=60)
    finally:
        if load.poll() is None:
            load.kill()
        stop_file.unlink(missing_ok=True)
    half = json.loads(out)
    if expiry.get("rows") != due:
        raise RuntimeError(f"expiry under load: {due} due quotes, the service expired {expiry.get('rows')}")
    result = {
        "rows": due,
        "rate": rate,
        "sent": half["sent"],
        "p50": half["p50_ms"],
        "p95": half["p95_ms"],
        "p99": half["p99_ms"],
        "errors": half["errors"],
        "statuses": half["statuses"],
        "expiry_s": expiry["seconds"],
        "batches": len(expiry["batches"]),
        "longest_batch_s": max(expiry["batches"]),
        "batch_all": expiry["batches"],
    }
    log(
        f"Quotes (Open) at {rate:.0f}/s while {due:,} quotes expire ({result['expiry_s']:.2f} s, "
        f"{result['batches']} batches, longest {result['longest_batch_s']:.3f} s): p50 {fmt(result['p50'])} ms  "
        f"p95 {fmt(result['p95'])} ms  p99 {fmt(result['p99'])} ms  errors {result['errors']}"
    )
    return result


# Runs ---------------------------------------------------------------------------------------------


def single_run(args, env: dict) -> dict:
    from django.conf import settings

    port = args.port
    log(f"Starting gunicorn with {args.workers} sync workers on {HOST}:{port} (production settings) ...")
    master = start_gunicorn(env, port, args.workers)
    contacts = pick_contacts(args.contacts)
    log(
        f"Signing in {len(contacts)} contacts of different accounts through the sign-in form; "
        "storing their invoice PDFs ..."
    )
    targets = page_targets(port, contacts, bench_seed.PASSWORD)
    for page_list in targets.values():
        check_targets(port, page_list[:3])
    static = static_check(port)
    log(f"Static: {static}")
    rows = [measure_page(name, [port], targets[name], args, args.workers) for name in ["baseline", *PAGES]]
    from bench.pdf_bench import measure_documents

    # Before any order is placed: the documents' worker would otherwise first work through the receipts those
    # orders queue (hundreds of PDFs), which the scale-out check's workers deliver later.
    documents = None if args.pages_only else measure_documents(env, log=log)
    place = None if args.pages_only else measure_place_order([port], args)
    # At the rate of the page's own latency row (half its saturation), so the two p99s compare.
    expiry_load = None
    if not args.pages_only:  # (--pages without quotes-open is refused without --pages-only)
        quotes_rate = next(row["half_rate"] for row in rows if row["page"] == "quotes-open")
        expiry_load = measure_expiry_under_load([port], targets["quotes-open"], args, rate=quotes_rate)
    saturation = None if args.pages_only else measure_orders_at_saturation([port], args, args.workers)
    rss = worker_rss_mb(master)
    stop(master)
    expiry = None if args.pages_only else measure_expiry(args.expiry_rounds)
    return {
        "rows": rows,
        "place": place,
        "orders_saturation": saturation,
        "expiry": expiry,
        "expiry_load": expiry_load,
        "documents": documents,
        "rss": rss,
        "workers": args.workers,
        "threads": args.threads,
        "static": static,
        "conn_max_age": settings.DATABASES["default"]["CONN_MAX_AGE"],
    }


def scale_out_run(args, env: dict) -> dict:
    """Two gunicorns, two Celery workers, one beat; one PostgreSQL, one Redis. Zero errors or it fails."""
    from post_office.models import STATUS, Email

    from billing_portal.emails import HELD_UNTIL
    from quotes.models import ServiceOrder

    ports = [args.port + 1, args.port + 2]
    workers = max(1, args.workers // 2) if args.workers > 2 else args.workers
    log(
        f"Scale-out: gunicorn on ports {ports[0]} and {ports[1]} ({workers} workers each), 2 Celery workers, 1 beat ..."
    )
    masters = [start_gunicorn(env, port, workers) for port in ports]
    for n in (1, 2):
        spawn(
            processes.celery_command(
                "worker",
                "-n",
                f"bench{n}@%h",
                "--concurrency",
                "1",
                "--pool",
                "prefork",
                "--loglevel",
                "WARNING",
                "--without-gossip",
                "--without-mingle",
            ),
            env,
            VAR / f"celery-worker-{n}.log",
        )
    spawn(
        processes.celery_command("beat", "--loglevel", "WARNING", "-s", str(VAR / "celerybeat-schedule")),
        env,
        VAR / "celery-beat.log",
    )

    # Receipts of orders placed earlier in this run (single instance) are the workers' first job; let them
    # finish it so that the load below measures the web tier, not PDF rendering beside it.
    held = ServiceOrder.objects.filter(
        state=ServiceOrder.State.PLACED, placed_at__gte=args.started_at, receipt_email__scheduled_time=HELD_UNTIL
    )
    backlog = held.count()
    deadline = time.monotonic() + args.celery_timeout
    while held.exists() and time.monotonic() < deadline:
        time.sleep(2)
    log(f"Celery workers delivered {backlog - held.count()} of {backlog} receipts held from earlier orders")

    # A session made on one instance is valid on the other (sessions live in PostgreSQL).
    contacts = pick_contacts(args.contacts)
    crossed = []
    for i, (user, _account) in enumerate(contacts[:4]):
        made_on, used_on = ports[i % 2], ports[(i + 1) % 2]
        cookies = sign_in(made_on, user.username, bench_seed.PASSWORD)
        status, _c, _h = http("GET", used_on, "/quotes/", cookies={"sessionid": cookies["sessionid"]})
        crossed.append(status)
    sessions_ok = all(status == 200 for status in crossed)
    log(f"Sessions made on one instance, used on the other: HTTP {crossed}")

    targets = page_targets(ports[0], contacts, bench_seed.PASSWORD)
    mixed = [target for name in PAGES + ["baseline"] for target in targets[name]]
    targets_file = write_targets("scale-out-mixed", mixed)
    wrk(ports, targets_file, connections=2 * workers * 2, seconds=args.warmup, threads=2)
    saturation = wrk(ports, targets_file, connections=2 * workers * 2, seconds=args.duration, threads=2)
    half = loadgen(ports, targets_file, rate=saturation["rps"] / 2, seconds=args.duration)
    log(
        f"Mixed pages over both instances: {saturation['rps']:.0f} req/s; at half rate p50 {half['p50_ms']:.1f} ms, "
        f"p99 {half['p99_ms']:.1f} ms; per instance {half['per_port']}; errors {saturation['errors'] + half['errors']}"
    )

    before = set(ServiceOrder.objects.filter(state=ServiceOrder.State.PLACED).values_list("pk", flat=True))
    order_latencies = place_orders(ports, prepare_orders(pick_contacts(50)))
    placed = ServiceOrder.objects.filter(state=ServiceOrder.State.PLACED).exclude(pk__in=before)
    receipt_ids = list(placed.values_list("receipt_email_id", flat=True))
    log(
        f"Placed {len(receipt_ids)} orders across both instances (p50 {pct(order_latencies, 0.5):.0f} ms, "
        f"p99 {pct(order_latencies, 0.99):.0f} ms); waiting for the Celery workers to render and send every receipt ..."
    )
    deadline = time.monotonic() + args.celery_timeout
    sent = 0
    while time.monotonic() < deadline:
        sent = Email.objects.filter(pk__in=receipt_ids, status=STATUS.sent).count()
        if sent == len(receipt_ids):
            break
        time.sleep(2)
    failed_mail = Email.objects.filter(status=STATUS.failed).count()
    rss = {port: worker_rss_mb(master) for port, master in zip(ports, masters, strict=True)}
    time.sleep(1)
    stop_all()
    log_errors = {}
    for logfile in VAR.glob("*.log"):
        text = logfile.read_text(errors="replace")[-2_000_000:]
        hits = len(re.findall(r"Traceback|\bERROR\b|CRITICAL", text))
        if hits:
            log_errors[logfile.name] = hits
    errors = (
        saturation["errors"]
        + half["errors"]
        + (len(receipt_ids) - sent)
        + failed_mail
        + sum(log_errors.values())
        + (0 if sessions_ok else 1)
        + held.count()
    )
    result = {
        "ports": ports,
        "workers_each": workers,
        "backlog": backlog,
        "backlog_left": held.count(),
        "sessions_crossed": crossed,
        "sessions_ok": sessions_ok,
        "rps": saturation["rps"],
        "requests": saturation["requests"] + sum(half["per_port"].values()),
        "p50": half["p50_ms"],
        "p95": half["p95_ms"],
        "p99": half["p99_ms"],
        "half_rate": half["rate"],
        "per_port": half["per_port"],
        "orders": len(receipt_ids),
        "receipts_sent": sent,
        "order_p50": pct(order_latencies, 0.5),
        "order_p99": pct(order_latencies, 0.99),
        "failed_mail": failed_mail,
        "log_errors": log_errors,
        "errors": errors,
        "rss": rss,
    }
    log(f"Scale-out: {sent}/{len(receipt_ids)} receipts sent by the workers, errors {errors}, log errors {log_errors}")
    return result


# Output -------------------------------------------------------------------------------------------


def fmt(value, digits=1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def table(result: dict, args) -> str:
    rows = result["rows"]
    base = rows[0]["rps"]
    out = [
        "| Measure | SQL queries | req/s at saturation | ratio to baseline | rate for latency "
        "| p50 ms | p95 ms | p99 ms | errors | goal |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in rows:
        ratio = row["rps"] / base
        goal_ratio = GOAL_FRAME_RATIO if row["page"] == "frame" else GOAL_RATIO
        goal = (
            "(the floor)"
            if row["page"] == "baseline"
            else (
                "met"
                if ratio >= goal_ratio and row["p99"] < GOAL_P99
                else "MISSED: "
                + ", ".join(
                    part
                    for part in (
                        f"ratio {ratio:.2f} < {goal_ratio}" if ratio < goal_ratio else "",
                        f"p99 {row['p99']:.0f} ms ≥ {GOAL_P99:.0f}" if row["p99"] >= GOAL_P99 else "",
                    )
                    if part
                )
            )
        )
        out.append(
            f"| {row['label']} | {row['queries']} | {fmt(row['rps'])} | {ratio:.2f} | "
            f"{fmt(row['half_rate'], 0)}/s | {fmt(row['p50'])} | "
            f"{fmt(row['p95'])} | {fmt(row['p99'])} | {row['errors']} | {goal} |"
        )
    place, expiry, saturation = result["place"], result["expiry"], result.get("orders_saturation")
    if saturation:
        ratio = saturation["rate"] / base
        out.append(
            f"| Place Service Order at saturation, {saturation['contacts']} contacts on distinct quotes, "
            f"{saturation['connections']} connections (orders/s) | – | {fmt(saturation['rate'])} | {ratio:.2f} | – | "
            f"{fmt(saturation['saturation_p50'])} | – | {fmt(saturation['saturation_p99'])} | 0 | "
            f"{'met' if ratio >= GOAL_ORDERS_RATIO else f'MISSED: ratio {ratio:.2f} < {GOAL_ORDERS_RATIO}'} |"
        )
        out.append(
            f"| Place Service Order at half that rate, {saturation['half_samples']} orders spread evenly | – | – | – | "
            f"{fmt(saturation['half_rate'])}/s | {fmt(saturation['half_p50'])} | {fmt(saturation['half_p95'])} | "
            f"{fmt(saturation['half_p99'])} | 0 | "
            f"{'met' if saturation['half_p99'] < GOAL_PLACE_P99 else 'MISSED: p99 ≥ 100 ms'} |"
        )
    if place:
        out.append(
            f"| Place Service Order, {place['contacts']} contacts at once ×{place['rounds']} on {result['workers']} "
            f"sync workers (HTTP POST; a queueing figure: {place['contacts']} requests wait for "
            f"{result['workers']} workers) | – | – | – | burst | {fmt(place['burst_p50'])} | – | "
            f"{fmt(place['burst_p99'])} | 0 | (no goal: queueing) |"
        )
        out.append(
            f"| Place Service Order, {place['contacts']} contacts within 2 s (HTTP POST) | – | – | – | "
            f"{place['contacts'] / 2:.0f}/s | {fmt(place['spread_p50'])} | – | {fmt(place['spread_p99'])} | 0 | "
            f"{'met' if place['spread_p99'] < GOAL_PLACE_P99 else 'MISSED: p99 ≥ 100 ms'} |"
        )
    if expiry:
        worst_ratio = max(expiry["ratio"], expiry["ratio_median"])
        missed = [
            part
            for part, missing in (
                ("> 2×", worst_ratio > GOAL_EXPIRY),
                (f"a batch ≥ {GOAL_EXPIRY_BATCH_S:.0f} s", expiry["longest_batch_s"] >= GOAL_EXPIRY_BATCH_S),
            )
            if missing
        ]
        out.append(
            f"| Expiry service, {expiry['rows']:,} due quotes (best / median of {expiry['rounds']}; "
            f"{expiry['batches']} batches, longest {expiry['longest_batch_s']:.2f} s) | – | "
            f"{expiry['task_s']:.2f} / {expiry['task_median_s']:.2f} s | "
            f"{expiry['ratio']:.2f} / {expiry['ratio_median']:.2f} × plain UPDATE "
            f"({expiry['plain_s']:.2f} / {expiry['plain_median_s']:.2f} s) | – | – | – | – | 0 | "
            f"{'MISSED: ' + ', '.join(missed) if missed else 'met'} |"
        )
    expiry_load = result.get("expiry_load")
    if expiry_load:
        p99 = expiry_load["p99"]
        met = p99 is not None and p99 < GOAL_EXPIRY_LOAD_P99 and not expiry_load["errors"]
        out.append(
            f"| Quotes (Open) while the expiry of {expiry_load['rows']:,} quotes runs "
            f"({expiry_load['expiry_s']:.1f} s, {expiry_load['batches']} batches) | – | – | – | "
            f"{expiry_load['rate']:.0f}/s | {fmt(expiry_load['p50'])} | {fmt(expiry_load['p95'])} | "
            f"{fmt(p99)} | {expiry_load['errors']} | "
            f"{'met' if met else f'MISSED: p99 ≥ {GOAL_EXPIRY_LOAD_P99:.0f} ms or errors'} |"
        )
    if result.get("documents"):
        from bench.pdf_bench import documents_table

        out += ["", documents_table(result["documents"])]
    rss = result["rss"]
    out.append("")
    out.append(
        f"Gunicorn workers ({result['workers']}, {worker_kind(result)}) resident after the run: "
        + ", ".join(f"{value:.0f} MB" for value in rss)
        + f" — {'met' if rss and max(rss) < GOAL_RSS else 'MISSED'} (goal < {GOAL_RSS:.0f} MB)."
    )
    out.append(
        f"Database connections: CONN_MAX_AGE={result['conn_max_age']} s with health checks. "
        f"Static file {result['static']}."
    )
    if any("MISSED" in line for line in out):
        out.append(
            'The measured cause of each figure below goal: docs/performance.md, "Goals, and the cause of every gap" '
            "(bench/profile_page.py and bench/expiry.py show where the time goes)."
        )
    return "\n".join(out)


def scale_out_table(result: dict) -> str:
    return "\n".join(
        [
            "| Scale-out check | result |",
            "| --- | --- |",
            f"| Instances | gunicorn on {result['ports'][0]} and {result['ports'][1]}, "
            f"{result['workers_each']} sync workers each; "
            "2 Celery workers (concurrency 1), 1 beat; one PostgreSQL, one Redis |",
            f"| Session made on one instance, used on the other | HTTP {result['sessions_crossed']} "
            f"({'valid on both' if result['sessions_ok'] else 'FAILED'}) |",
            f"| Mixed pages, round robin, saturation | {result['rps']:,.1f} req/s |",
            f"| Mixed pages at {result['half_rate']:.0f}/s | p50 {fmt(result['p50'])} ms, p95 {fmt(result['p95'])} ms, "
            f"p99 {fmt(result['p99'])} ms; per instance {result['per_port']} |",
            f"| Place Service Order, {result['orders']} at once over both "
            f"| p50 {result['order_p50']:.0f} ms, p99 {result['order_p99']:.0f} ms |",
            f"| Receipts rendered and sent by the Celery workers "
            f"| {result['receipts_sent']}/{result['orders']} of these orders; "
            f"{result['backlog'] - result['backlog_left']}/{result['backlog']} held from the single-instance run |",
            f"| Worker RSS (MB) | {result['rss']} |",
            f"| Errors (HTTP, sockets, mail, logs) | {result['errors']} {result['log_errors'] or ''} |",
        ]
    )


def size_name(size: float) -> str:
    return f"{size:g}"


def default_database(size: float) -> str:
    """bench_portal for the present scale, bench_portal_x5 for five times it (bench_portal_x0_5 for half)."""
    return "bench_portal" if size == 1 else "bench_portal_x" + size_name(size).replace(".", "_")


def child_argv(argv: list[str], *, first: bool) -> list[str]:
    """The options given, for one size's run: without those that choose the sizes, and the scale-out
    check only with the first size."""
    drop_with_value = {"--sizes", "--databases", "--scale", "--result-file", "--page-rounds"}
    drop = {"--explain"}
    if not first:
        drop |= {"--scale-out", "--only-scale-out"}
    kept, skip = [], False
    for arg in argv:
        name = arg.split("=", 1)[0]
        if skip:
            skip = False
        elif name in drop_with_value:
            skip = "=" not in arg
        elif name not in drop:
            kept.append(arg)
    return kept


def volume() -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT COUNT(*) FROM accounts_companyaccount), (SELECT COUNT(*) FROM quotes_quote), "
            "(SELECT COUNT(*) FROM invoices_invoice)"
        )
        accounts, quotes, invoices = cursor.fetchone()
    return {"accounts": accounts, "quotes": quotes, "invoices": invoices}


def run_one(args) -> dict:
    """Everything measured on one database (BENCH_DB): seeded first if it is not."""
    global GUNICORN_THREADS
    GUNICORN_THREADS = args.threads
    VAR.mkdir(parents=True, exist_ok=True)
    for old in VAR.glob("*.log"):
        old.unlink()
    seeded = bench_seed.seeded_scale()
    if seeded is None:
        log(f"{BENCH_DB} is not seeded: seeding at scale {args.scale} ...")
        subprocess.run([sys.executable, str(BASE_DIR / "bench" / "seed.py"), "--scale", str(args.scale)], check=True)
    elif args.result_file and seeded != args.scale:
        sys.exit(f"{BENCH_DB} is seeded at scale {seeded}, not {args.scale}: seed it again with bench/seed.py --reset")
    env = bench_env()
    setup_django(env)
    from django.core.management import call_command
    from redis import Redis

    # The bench's own Redis database: tasks left from an earlier run (maybe of another bench database) go.
    Redis.from_url(env["REDIS_URL"]).flushdb()
    from django.utils import timezone

    args.started_at = timezone.now()

    call_command("migrate", "--noinput", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    shift_clock()
    log(f"{BENCH_DB}: seeded at scale {bench_seed.seeded_scale()}")
    # An earlier run's expiry left the due quotes expired, and with autovacuum off the planner's statistics
    # stale (the Quotes (Expired) plan then reads every expired quote): each run starts from the seed's state.
    log(f"{BENCH_DB}: {reset_due_quotes():,} due quotes set back to submitted, as seeded; tables analysed")

    started = time.monotonic()
    result: dict = {
        "database": BENCH_DB,
        "scale": bench_seed.seeded_scale(),
        "volume": volume(),
        "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    try:
        if args.explain:
            from bench.explain import explain_pages, summary

            log(f"EXPLAIN of every page's SELECTs on {BENCH_DB} ...")
            result["explain"] = explain_pages()
            log(summary(result["explain"]))
        if not args.only_scale_out:
            result.update(single_run(args, env))
        if args.scale_out or args.only_scale_out:
            result["scale_out"] = scale_out_run(args, env)
    finally:
        stop_all()
        for targets_file in VAR.glob("targets-*.tsv"):  # they hold signed-in session cookies
            targets_file.unlink()
    result["seconds"] = round(time.monotonic() - started)
    return result


def explain_line(explain: dict) -> str:
    from bench.explain import summary

    return summary(explain)


def flatness(results: dict[str, dict]) -> list[dict]:
    """Per page: the rate and query count at every size, and the rate at the largest over the smallest."""
    sizes = list(results)
    small = results[sizes[0]]
    rows = []
    for row in small.get("rows", []):
        at = {size: next(r for r in results[size]["rows"] if r["page"] == row["page"]) for size in sizes}
        rows.append(
            {
                "page": row["page"],
                "label": row["label"],
                "rps": {size: at[size]["rps"] for size in sizes},
                "p99": {size: at[size]["p99"] for size in sizes},
                "queries": {size: at[size]["queries"] for size in sizes},
                "flatness": at[sizes[-1]]["rps"] / row["rps"],
                # The same over each size's baseline: what the machine's other load changed between the runs
                # of the sizes (minutes apart) divides out, to a first approximation.
                "flatness_of_ratio": (at[sizes[-1]]["rps"] / results[sizes[-1]]["rows"][0]["rps"])
                / (row["rps"] / small["rows"][0]["rps"]),
                "queries_equal": len({at[size]["queries"] for size in sizes}) == 1,
            }
        )
    return rows


def flatness_table(rows: list[dict], sizes: list[str]) -> str:
    small, large = sizes[0], sizes[-1]
    head = [
        "Page",
        "SQL queries at " + " / ".join(sizes),
        *(f"req/s at {size}" for size in sizes),
        f"flatness ({large} / {small})",
        "flatness of the ratio to baseline",
        *(f"p99 ms at {size}" for size in sizes),
        "goal",
    ]
    out = ["| " + " | ".join(head) + " |", "| --- | " + "---: | " * (len(head) - 2) + "--- |"]
    for row in rows:
        missed = [
            f"flatness {row['flatness']:.2f} < {GOAL_FLAT}" if row["flatness"] < GOAL_FLAT else "",
            "query counts differ" if not row["queries_equal"] else "",
        ]
        missed = [part for part in missed if part]
        cells = [
            row["label"],
            " / ".join(str(row["queries"][size]) for size in sizes),
            *(fmt(row["rps"][size]) for size in sizes),
            f"{row['flatness']:.2f}",
            f"{row['flatness_of_ratio']:.2f}",
            *(fmt(row["p99"][size]) for size in sizes),
            "met" if not missed else "MISSED: " + ", ".join(missed),
        ]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def keep_best_rows(result: dict, again: dict) -> None:
    """Each page's row from the round in which it served the most requests/s: the machine's other load
    only ever slows a page down. Every round's rate stays in `rps_rounds`."""
    for i, row in enumerate(result["rows"]):
        other = next(r for r in again["rows"] if r["page"] == row["page"])
        rounds = row.get("rps_rounds", [row["rps"]]) + [other["rps"]]
        if other["rps"] > row["rps"]:
            result["rows"][i] = row = other
        row["rps_rounds"] = rounds


def run_sizes(args, sizes: list[float], databases: list[str]) -> None:
    """One child run per size, each on its own database (seeded if missing); one table and results.json.
    With --page-rounds N the sizes' pages are measured N times, the sizes alternately, best of each."""
    started = time.monotonic()
    results: dict[str, dict] = {}
    for round_ in range(args.page_rounds):
        for i, (size, database) in enumerate(zip(sizes, databases, strict=True)):
            result_file = VAR / f"result-{database}.json"
            options = child_argv(sys.argv[1:], first=i == 0 and round_ == 0)
            if round_:
                options.append("--pages-only")
            elif len(sizes) > 1 and size == max(sizes):
                options.append("--explain")  # EXPLAIN at the large size
            log(f"Size {size_name(size)}: {database}, round {round_ + 1} of {args.page_rounds} ...")
            child = subprocess.run(
                [sys.executable, __file__, *options, "--scale", str(size), "--result-file", str(result_file)],
                env={**os.environ, "BENCH_DB": database},
            )
            if child.returncode:
                sys.exit(f"the run at size {size_name(size)} ({database}) failed: see above")
            result = json.loads(result_file.read_text())
            result_file.unlink()
            if round_:
                keep_best_rows(results[size_name(size)], result)
            else:
                results[size_name(size)] = result
    names = list(results)
    combined: dict = {
        "started": results[names[0]]["started"],
        "sizes": list(sizes),
        "by_size": results,
        "seconds": round(time.monotonic() - started),
    }
    text = [
        f"Benchmark at {len(sizes)} data size{'s' if len(sizes) > 1 else ''}, {combined['started']}, "
        f"{os.cpu_count()} CPUs, load generator on the same machine."
    ]
    for name, result in results.items():
        volume_text = ", ".join(f"{count:,} {key}" for key, count in result["volume"].items())
        text += ["", f"Size {name}: {result['database']} ({volume_text})"]
        if "rows" in result:
            text += ["", table(result, args)]
    if len(names) > 1 and all("rows" in result for result in results.values()):
        combined["flatness"] = flatness(results)
        text += [
            "",
            f"Flat as data grows: each page's rate at size {names[-1]} over its rate at size {names[0]} "
            f"(goal ≥ {GOAL_FLAT}), and the same SQL queries at every size:",
            "",
            flatness_table(combined["flatness"], names),
        ]
    explained = [result["explain"] for result in results.values() if "explain" in result]
    if explained:
        combined["explain"] = explained[-1]
        text += ["", explain_line(explained[-1])]
    scale_out = [result["scale_out"] for result in results.values() if "scale_out" in result]
    if scale_out:
        text += ["", scale_out_table(scale_out[0])]
    report = "\n".join(text)
    print(report)
    (VAR / "results.md").write_text(report + "\n")
    (VAR / "results.json").write_text(json.dumps(combined, indent=2, default=str))
    if scale_out and scale_out[0]["errors"]:
        sys.exit("scale-out run had errors")


def main() -> None:
    parser = argparse.ArgumentParser(description="Load-test the portal on seeded PostgreSQL databases.")
    parser.add_argument(
        "--sizes",
        help="data sizes to measure, comma-separated, in seed scales (1 = 1,000 accounts, 200,000 quotes, "
        "100,000 invoices), each in a database of its own (bench_portal for 1, bench_portal_x5 for 5), seeded "
        'if missing; default "1,5", or with BENCH_DB set only that database',
    )
    parser.add_argument("--databases", help="the databases for --sizes, comma-separated, in the same order")
    parser.add_argument("--scale", type=float, default=1.0, help="seed volume if the database is not seeded yet")
    parser.add_argument(
        "--workers", type=int, default=4, help="gunicorn sync workers (scale-out: half of them per instance)"
    )
    parser.add_argument(
        "--threads", type=int, default=1, help="threads per gunicorn worker (gthread workers); 1: sync workers"
    )
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--duration", type=float, default=10, help="seconds of each measurement (at most 60)")
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--contacts", type=int, default=16, help="signed-in contacts (of different accounts) per page")
    parser.add_argument("--order-rounds", type=int, default=4)
    parser.add_argument(
        "--orders-per-contact", type=int, default=6, help="draft orders per contact for the orders at saturation"
    )
    parser.add_argument(
        "--expiry-rounds", type=int, default=3, help="plain UPDATE and service, alternately; best and median"
    )
    parser.add_argument("--celery-timeout", type=float, default=300)
    parser.add_argument("--scale-out", action="store_true", help="also run the scale-out check (at the first size)")
    parser.add_argument("--only-scale-out", action="store_true")
    parser.add_argument("--pages-only", action="store_true", help="only the pages: no orders placed, no expiry")
    parser.add_argument("--pages", help=f"only these pages, comma-separated, of: {', '.join(PAGES)}")
    parser.add_argument(
        "--explain", action="store_true", help="EXPLAIN each page's SELECTs (with several sizes: at the largest)"
    )
    parser.add_argument(
        "--page-rounds",
        type=int,
        default=1,
        help="with --sizes: measure the pages this many times, the sizes alternately, and keep each page's best",
    )
    parser.add_argument("--result-file", type=Path, help=argparse.SUPPRESS)  # one size's run, for run_sizes()
    args = parser.parse_args()
    args.duration = min(args.duration, 60)
    if args.pages:
        chosen = args.pages.split(",")
        if unknown := set(chosen) - set(PAGES):
            parser.error(f"--pages: no such page {', '.join(sorted(unknown))}")
        if "quotes-open" not in chosen and not args.pages_only:
            parser.error("--pages without quotes-open needs --pages-only (the expiry under load loads Quotes (Open))")
        PAGES[:] = [name for name in PAGES if name in chosen]
    VAR.mkdir(parents=True, exist_ok=True)

    if args.result_file or (args.sizes is None and "BENCH_DB" in os.environ):
        result = run_one(args)
        if args.result_file:
            args.result_file.write_text(json.dumps(result, indent=2, default=str))
            return
        text = [
            f"Benchmark of {BENCH_DB} (scale {result['scale']}), {result['started']}, {os.cpu_count()} CPUs, "
            f"load generator on the same machine."
        ]
        if "rows" in result:
            text += ["", table(result, args)]
        if "explain" in result:
            text += ["", explain_line(result["explain"])]
        if "scale_out" in result:
            text += ["", scale_out_table(result["scale_out"])]
        report = "\n".join(text)
        print(report)
        (VAR / "results.md").write_text(report + "\n")
        (VAR / "results.json").write_text(json.dumps(result, indent=2, default=str))
        if "scale_out" in result and result["scale_out"]["errors"]:
            sys.exit("scale-out run had errors")
        return

    sizes = [float(size) for size in (args.sizes or "1,5").split(",")]
    if len(set(sizes)) != len(sizes):
        sys.exit("--sizes: each size once")
    if args.only_scale_out:
        sizes = sizes[:1]
    if args.databases:
        databases = args.databases.split(",")
    elif "BENCH_DB" in os.environ and len(sizes) == 1:
        databases = [BENCH_DB]
    elif "BENCH_DB" in os.environ:
        sys.exit("BENCH_DB names one database: with several --sizes name them with --databases")
    else:
        databases = [default_database(size) for size in sizes]
    if len(databases) != len(sizes) or not all(name.startswith("bench_") for name in databases):
        sys.exit("--databases: one name per size, each starting with bench_")
    run_sizes(args, sizes, databases)


if __name__ == "__main__":
    try:
        main()
    finally:
        stop_all()
