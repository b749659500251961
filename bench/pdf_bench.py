"""Benchmark of invoice PDFs: render time, memory over many renders, stored download vs render.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bp_invoices REDIS_URL=redis://127.0.0.1:6379/2 \
        .venv/bin/python bench/pdf_bench.py [--renders 500]

Uses billing_portal.test_settings unless DJANGO_SETTINGS_MODULE says otherwise, and its own
throw-away database (`bench_<name>`), so it never touches the portal's data or the test suite's.
Not a test: it prints numbers and flags the targets it misses (exit status 1).

    BENCH_DB=bench_docs BENCH_REDIS_URL=redis://127.0.0.1:6379/4 .venv/bin/python bench/pdf_bench.py --documents

measures the documents goals instead (`measure_documents`, also called by bench/run.py): a 20-line
invoice rendered 50 times in this process (p95 < 150 ms), then a real Celery worker (production
settings, the bench database) that renders and e-mails a 20-line and a 5,000-line invoice (< 10 s),
with the resident memory of each of its processes read from /proc (< 250 MB after the long one,
< 200 MB each at the end).
"""

import argparse
import contextlib
import gc
import os
import resource
import signal
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
if __name__ == "__main__" and "--documents" in sys.argv:
    # Production settings on the bench database (created if missing), before Django is set up.
    from bench.common import bench_env
    from bench.seed import create_database

    create_database(reset=False)
    os.environ.update(bench_env())
import django  # noqa: E402

if __name__ == "__main__":  # imported (by bench/run.py), Django is set up already, or not needed for a table
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "billing_portal.test_settings")
    django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

TARGET_P95_MS = 300
TARGET_GROWTH_MB = 10
TARGET_SPEEDUP = 20

GOAL_SHORT_P95_MS = 150  # a 20-line invoice PDF
GOAL_LONG_S = 10  # a 5,000-line invoice, rendered by the worker
GOAL_AFTER_LONG_MB = 250  # the worker's resident memory after it
GOAL_WORKER_MB = 200  # each worker process after the whole run
SHORT_LINES, LONG_LINES, SHORT_RENDERS = 20, 5000, 50


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def timed(function, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return times


def make_invoice():
    from accounts.tests.factories import CompanyAccountFactory, StaffFactory, UserFactory
    from billing_portal.celery import publisher
    from invoices import services
    from invoices.tests.factories import draft_with_lines

    contact = UserFactory(username="bench-billing", email="billing@bench.example")
    account = CompanyAccountFactory(billing_contact=contact, po_number="PO-BENCH-1")
    # 26 two-line positions fill one A4 page and spill onto a second one.
    lines = [(Decimal(1 + n % 7), Decimal("49.90"), f"Seat licence bundle {n}, annual term") for n in range(16)]
    publisher.submit = lambda task, args: None  # no Celery message from a benchmark
    invoice = services.invoice_issue(
        invoice=draft_with_lines(account, lines=lines, tax_rate=Decimal("19.00")), actor=StaffFactory()
    )
    return contact, invoice


def run(renders: int) -> bool:
    import io

    from django.test import Client
    from django.urls import reverse
    from pypdf import PdfReader

    from invoices.documents import INVOICE_PDF
    from invoices.models import Invoice

    contact, invoice = make_invoice()
    invoice = Invoice.objects.select_related("account").get(pk=invoice.pk)
    pages = len(PdfReader(io.BytesIO(INVOICE_PDF.render(invoice))).pages)

    render = lambda: INVOICE_PDF.render(invoice)  # noqa: E731
    timed(render, 10)  # warm: templates, fonts, caches
    render_ms = timed(render, 100)

    gc.collect()
    rss_before, peak_before = rss_mb(), peak_rss_mb()
    timed(render, renders)
    gc.collect()
    rss_after, peak_after = rss_mb(), peak_rss_mb()

    client = Client()
    client.force_login(contact)
    url = reverse("invoices:pdf", args=[invoice.pk])

    def download():
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        return b"".join(response.streaming_content)

    def download_rendering():
        Invoice.objects.filter(pk=invoice.pk).update(pdf="")
        download()

    download_rendering()
    timed(download, 10)
    stored_ms = timed(download, 200)
    rendering_ms = timed(download_rendering, 30)

    render_p95 = percentile(render_ms, 0.95)
    growth = peak_after - peak_before
    speedup = statistics.median(rendering_ms) / statistics.median(stored_ms)
    rows = [
        ("PDF pages", f"{pages}", ""),
        ("render, median (warm, n=100)", f"{statistics.median(render_ms):.1f} ms", ""),
        ("render, p95 (warm, n=100)", f"{render_p95:.1f} ms", f"< {TARGET_P95_MS} ms"),
        (f"peak RSS growth over {renders} renders", f"{growth:.1f} MB", f"< {TARGET_GROWTH_MB} MB"),
        (f"RSS before / after {renders} renders", f"{rss_before:.1f} / {rss_after:.1f} MB", ""),
        ("download, stored PDF, median (n=200)", f"{statistics.median(stored_ms):.2f} ms", ""),
        ("download, stored PDF, p95", f"{percentile(stored_ms, 0.95):.2f} ms", ""),
        ("download that renders, median (n=30)", f"{statistics.median(rendering_ms):.1f} ms", ""),
        ("stored download speed-up", f"{speedup:.0f}x", f">= {TARGET_SPEEDUP}x"),
    ]
    width = max(len(row[0]) for row in rows)
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(
        f"\nInvoice PDF benchmark (WeasyPrint, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
        f"load average {load})\n"
    )
    print(f"{'measure':<{width}}  {'value':>22}  target")
    print(f"{'-' * width}  {'-' * 22}  ------")
    for name, value, target in rows:
        print(f"{name:<{width}}  {value:>22}  {target}")
    ok = pages == 2 and render_p95 < TARGET_P95_MS and growth < TARGET_GROWTH_MB and speedup >= TARGET_SPEEDUP
    print("\nall targets met" if ok else "\nTARGET MISSED")
    return ok


def _documents_invoice(lines: int):
    """An issued invoice of `lines` lines for the bench's own account; its e-mail is queued to Celery on commit."""
    from accounts.models import CompanyAccount
    from accounts.tests.factories import CompanyAccountFactory, StaffFactory, UserFactory
    from invoices import services
    from invoices.models import Invoice, InvoiceLine
    from invoices.tests.factories import InvoiceFactory

    account = CompanyAccount.objects.filter(name="Bench Documents Ltd").first()
    if account is None:
        contact = UserFactory(username="bench-documents", email="billing@bench-documents.example")
        account = CompanyAccountFactory(name="Bench Documents Ltd", billing_contact=contact, po_number="PO-BENCH-DOCS")
    staff = StaffFactory()
    draft = InvoiceFactory(account=account)
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=draft,
            position=n + 1,
            quantity=Decimal(1 + n % 7),
            unit_price=Decimal("49.90"),
            description=f"Seat licence bundle {n + 1}, annual term",
        )
        for n in range(lines)
    )
    invoice = services.invoice_issue(invoice=draft, actor=staff)
    return Invoice.objects.select_related("account", "account__billing_contact").get(pk=invoice.pk)


def _short_render_times(invoice, *, settle: bool = True) -> dict:
    """p50/p95 of INVOICE_PDF.render in this process, and its parts: WeasyPrint, Factur-X, the rest (template, XML).

    The process is first settled as a Celery pool process settles when it starts (the PDF engine loaded, what is
    loaded frozen out of the garbage collector's sight, full collections after each task instead of within one),
    unless `settle` is false, and unsettled at the end, so that the measures that follow in the same process are not
    changed by it. The full collections during the measured renders are counted and timed, and so is the one after
    each render (`collect_after_task`, as the pool process runs it once a task has ended; not in the render time).
    """
    from celery.signals import task_postrun

    from billing_portal import celery, pdf
    from invoices import einvoice
    from invoices.documents import INVOICE_PDF

    threshold = gc.get_threshold()
    if settle:
        celery.settle_worker_process()
    parts = {"weasyprint": 0.0, "facturx": 0.0}
    full_collections: list[float] = []  # seconds each, while measuring
    after_render: list[float] = []  # seconds each, collect_after_task
    collection_started = 0.0

    def on_collection(phase: str, info: dict) -> None:
        nonlocal collection_started
        if phase == "start":
            collection_started = time.perf_counter()
        elif info["generation"] == 2 and measuring:
            full_collections.append(time.perf_counter() - collection_started)

    def timing(name, function):
        def timed_function(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                parts[name] += time.perf_counter() - start

        return timed_function

    originals = pdf._html_to_pdf, einvoice.embed_xml
    pdf._html_to_pdf = timing("weasyprint", originals[0])  # its finish step, the Factur-X one, is taken out below
    einvoice.embed_xml = timing("facturx", originals[1])
    rows = []
    measuring = False
    gc.callbacks.append(on_collection)
    try:
        for n in range(SHORT_RENDERS + 5):
            measuring = n >= 5
            parts.update(weasyprint=0.0, facturx=0.0)
            start, cpu = time.perf_counter(), time.process_time()
            INVOICE_PDF.render(invoice)
            total, cpu = time.perf_counter() - start, time.process_time() - cpu
            measuring, collected = False, time.perf_counter()
            celery.collect_after_task()
            after_render.append(time.perf_counter() - collected)
            if n >= 5:  # the first renders parse templates, stylesheets and fonts
                template = total - parts["weasyprint"]
                rows.append((total, parts["weasyprint"] - parts["facturx"], parts["facturx"], template, cpu))
    finally:
        gc.callbacks.remove(on_collection)
        gc.unfreeze()
        gc.set_threshold(*threshold)
        task_postrun.disconnect(celery.collect_after_task)
        pdf._html_to_pdf, einvoice.embed_xml = originals
    ms = lambda column, fraction: round(percentile([row[column] * 1000 for row in rows], fraction), 1)  # noqa: E731
    return {
        "renders": len(rows),
        "p50_ms": ms(0, 0.5),
        "p95_ms": ms(0, 0.95),
        "cpu_p95_ms": ms(4, 0.95),
        "weasyprint_p50_ms": ms(1, 0.5),
        "facturx_p50_ms": ms(2, 0.5),
        "template_p50_ms": ms(3, 0.5),
        "full_collections": len(full_collections),
        "full_collection_max_ms": round(max(full_collections, default=0) * 1000, 1),
        "after_render_collection_p50_ms": round(percentile(after_render[5:], 0.5) * 1000, 1) if settle else None,
    }


def _worker_processes(master) -> dict[int, float]:
    from billing_portal import processes

    return {pid: round(processes.rss_mb(pid), 1) for pid in processes.process_tree(master.pid)}


def bench_env_names() -> list[str]:
    from bench.common import bench_env

    return list(bench_env(secret_key="unused"))


def measure_documents(env: dict, *, code_dir: Path = BASE_DIR, log=print, settle: bool = True) -> dict:
    """Every documents figure against its goal; Django must be set up with `env` (bench/common.py).

    Starts its own Celery worker (concurrency 1, prefork, the Procfile's --max-tasks-per-child) from
    `code_dir` with `env`, on the bench database and Redis, and stops it at the end.
    """
    from billing_portal import processes
    from invoices.models import InvoiceDelivery

    short = _documents_invoice(SHORT_LINES)
    log(f"Documents: rendering a {SHORT_LINES}-line invoice {SHORT_RENDERS} times in this process ...")
    result = {"short": _short_render_times(short, settle=settle)}

    log_file = BASE_DIR / "var" / "bench" / "celery-documents.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    log_file.unlink(missing_ok=True)
    command = processes.celery_command(
        "worker", "-n", "documents@%h", "--concurrency", "1", "--pool", "prefork", "--max-tasks-per-child", "200",
        "--loglevel", "WARNING", "--without-gossip", "--without-mingle",
    )  # fmt: skip
    master = processes.spawn(command, env={**os.environ, **env}, log=log_file, cwd=code_dir)
    try:
        processes.wait_until(lambda: len(processes.process_tree(master.pid)) >= 2, timeout=60)
        time.sleep(2)
        result["worker_start_mb"] = _worker_processes(master)

        def delivered(invoice, timeout: float) -> float:
            start = time.monotonic()
            processes.wait_until(
                lambda: InvoiceDelivery.objects.filter(invoice=invoice, released_at__isnull=False).exists(),
                timeout=timeout,
                interval=0.05,
            )
            return time.monotonic() - start

        # The e-mails of invoices issued here are released by the worker: it renders each PDF and attaches it.
        delivered(short, 120)
        log(f"Documents: the worker renders and e-mails a {LONG_LINES:,}-line invoice ...")
        started = time.monotonic()
        long = _documents_invoice(LONG_LINES)
        result["long_issue_s"] = round(time.monotonic() - started, 2)
        result["long_s"] = round(delivered(long, 300), 2)
        time.sleep(1)
        result["after_long_mb"] = _worker_processes(master)
        for _ in range(3):  # more ordinary work after the long one
            delivered(_documents_invoice(SHORT_LINES), 120)
        result["worker_end_mb"] = _worker_processes(master)
    finally:
        # Warm shutdown first: a task still running (a receipt queued by earlier orders) finishes, and the
        # log shows no worker lost.
        master.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            master.wait(60)
        processes.stop(master)
    result["main_pid"] = master.pid
    after_long = [mb for pid, mb in result["after_long_mb"].items() if pid != master.pid]
    result["goals"] = {
        "short_p95": result["short"]["p95_ms"] < GOAL_SHORT_P95_MS,
        "long_time": result["long_s"] < GOAL_LONG_S,
        "long_memory": max(after_long, default=0) < GOAL_AFTER_LONG_MB,
        "worker_memory": max(result["worker_end_mb"].values()) < GOAL_WORKER_MB,
    }
    return result


def documents_table(result: dict) -> str:
    short, goals = result["short"], result["goals"]
    mark = lambda met: "met" if met else "MISSED"  # noqa: E731

    def after_render(short: dict) -> str:
        collection = short.get("after_render_collection_p50_ms")
        return "" if collection is None else f"; after each render, outside it, one of {collection:.0f} ms (p50)"

    def processes_mb(sizes: dict) -> str:
        return ", ".join(f"{'main' if pid == result['main_pid'] else pid} {mb:.0f} MB" for pid, mb in sizes.items())

    return "\n".join(
        [
            "| Documents | value | goal | |",
            "| --- | ---: | --- | --- |",
            f"| {SHORT_LINES}-line invoice PDF, in-process, p95 of {short['renders']} (p50) | "
            f"{short['p95_ms']:.0f} ms ({short['p50_ms']:.0f} ms; p50 parts: template {short['template_p50_ms']:.0f}, "
            f"WeasyPrint {short['weasyprint_p50_ms']:.0f}, Factur-X {short['facturx_p50_ms']:.0f}; "
            f"CPU time p95 {short['cpu_p95_ms']:.0f} ms; {short['full_collections']} full garbage collections, "
            f"longest {short['full_collection_max_ms']:.0f} ms{after_render(short)}) | "
            f"< {GOAL_SHORT_P95_MS} ms | {mark(goals['short_p95'])} |",
            f"| {LONG_LINES:,}-line invoice rendered and e-mailed by a Celery worker | {result['long_s']:.1f} s | "
            f"< {GOAL_LONG_S} s | {mark(goals['long_time'])} |",
            f"| worker processes after it (RSS) | {processes_mb(result['after_long_mb'])} | "
            f"< {GOAL_AFTER_LONG_MB} MB | {mark(goals['long_memory'])} |",
            f"| worker processes at the end (RSS; at the start: {processes_mb(result['worker_start_mb'])}) | "
            f"{processes_mb(result['worker_end_mb'])} | < {GOAL_WORKER_MB} MB each | {mark(goals['worker_memory'])} |",
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=500, help="renders for the memory measure")
    parser.add_argument("--documents", action="store_true", help="the documents goals, on the bench database")
    parser.add_argument("--code-dir", type=Path, default=BASE_DIR, help="with --documents: run the worker from here")
    parser.add_argument(
        "--no-settle", action="store_true", help="with --documents: render in a process not settled as a worker's is"
    )
    args = parser.parse_args()

    if args.documents:
        from django.core.management import call_command

        call_command("migrate", "--noinput", verbosity=0)
        call_command("collectstatic", "--noinput", verbosity=0)
        env = {name: os.environ[name] for name in bench_env_names()}
        result = measure_documents(env, code_dir=args.code_dir, settle=not args.no_settle)
        print(documents_table(result))
        return 0 if all(result["goals"].values()) else 1

    setup_test_environment()
    settings.DEBUG = False
    settings.MEDIA_ROOT = str(BASE_DIR / "var" / "bench-media")
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = f"bench_{settings.DATABASES['default']['NAME']}"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        return 0 if run(args.renders) else 1
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    sys.exit(main())
