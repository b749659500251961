"""Benchmark of invoice PDFs: render time, memory over many renders, stored download vs render.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bp_invoices REDIS_URL=redis://127.0.0.1:6379/2 \
        .venv/bin/python bench/pdf_bench.py [--renders 500]

Uses billing_portal.test_settings unless DJANGO_SETTINGS_MODULE says otherwise, and its own
throw-away database (`bench_<name>`), so it never touches the portal's data or the test suite's.
Not a test: it prints numbers and flags the targets it misses (exit status 1).
"""

import argparse
import gc
import os
import resource
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "billing_portal.test_settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

TARGET_P95_MS = 300
TARGET_GROWTH_MB = 10
TARGET_SPEEDUP = 20


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=500, help="renders for the memory measure")
    args = parser.parse_args()

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
