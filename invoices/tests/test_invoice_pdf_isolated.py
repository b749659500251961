"""A long invoice is laid out in a child process: the same PDF and e-invoice, stored, and failures raised as before."""

import functools
import io
import operator
import os
import signal
import threading
import time
from decimal import Decimal
from pathlib import Path

import facturx
import pytest
from pypdf import PdfReader

from billing_portal import documents, pdf
from invoices import services
from invoices.documents import INVOICE_PDF
from invoices.einvoice import cii_xml
from invoices.tests.factories import draft_with_lines

pytestmark = pytest.mark.django_db

LINES = [(Decimal("2"), Decimal("49.90"), f"Seat licence bundle {n}, annual term") for n in range(3)]


@pytest.fixture
def child_renders(monkeypatch):
    """Records every render handed to a child process (and still runs it there)."""
    calls = []
    original = pdf._in_child_process

    def spy(function, *args, **kwargs):
        calls.append(function.__name__)
        return original(function, *args, **kwargs)

    monkeypatch.setattr(pdf, "_in_child_process", spy)
    return calls


def test_an_invoice_longer_than_the_limit_is_rendered_in_a_child_process_and_stored(
    account, staff, settings, child_renders
):
    settings.PDF_ISOLATE_LINES = 2
    invoice = services.invoice_issue(invoice=draft_with_lines(account, lines=LINES), actor=staff)

    stored = documents.document_ensure(INVOICE_PDF, pk=invoice.pk)

    assert child_renders == ["_html_to_pdf"]
    with stored.pdf.open("rb") as file:
        content = file.read()
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    assert invoice.number in text
    assert all(f"Seat licence bundle {n}, annual term" in text for n in range(3))
    assert "Page 1 of 1" in text
    filename, embedded = facturx.get_xml_from_pdf(content, check_xsd=True)
    assert filename == "factur-x.xml"
    assert embedded == cii_xml(invoice)


def test_an_invoice_within_the_limit_is_rendered_in_the_worker_itself(account, staff, settings, child_renders):
    settings.PDF_ISOLATE_LINES = 3
    invoice = services.invoice_issue(invoice=draft_with_lines(account, lines=LINES), actor=staff)

    assert invoice.number in PdfReader(io.BytesIO(INVOICE_PDF.render(invoice))).pages[0].extract_text()
    assert child_renders == []


def test_a_render_process_that_dies_fails_the_render_and_stores_nothing(account, staff, settings, monkeypatch):
    settings.PDF_ISOLATE_LINES = 2
    invoice = services.invoice_issue(invoice=draft_with_lines(account, lines=LINES), actor=staff)
    original = pdf._in_child_process
    # The child ends as one killed for its memory would: without an answer.
    monkeypatch.setattr(pdf, "_in_child_process", lambda function, *args, **kwargs: original(os._exit, 9, **kwargs))

    with pytest.raises(pdf.RenderProcessFailed, match="exit code 9"):
        documents.document_ensure(INVOICE_PDF, pk=invoice.pk)

    invoice.refresh_from_db()
    assert not invoice.pdf


def test_an_error_in_the_render_process_is_raised_in_the_worker(template_dir, child_renders):
    (template_dir / "doc.html").write_text("<html><body>Text</body></html>")

    with pytest.raises(pdf.RefusedURL, match="css/missing.css"):
        pdf.render_pdf("doc.html", {}, language="en", stylesheets=["css/missing.css"], isolated=True)
    assert child_renders == ["_html_to_pdf"]


@pytest.fixture
def template_dir(settings, tmp_path):
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    return tmp_path


def _run_in_child_process_and_report(results):
    results.put(pdf._in_child_process(len, "four"))


def test_a_daemonic_process_like_a_celery_pool_worker_can_render_in_a_child(db):
    import multiprocessing

    context = multiprocessing.get_context("fork")
    results = context.Queue()
    daemon = context.Process(target=_run_in_child_process_and_report, args=(results,), daemon=True)
    daemon.start()
    daemon.join(60)

    assert daemon.exitcode == 0
    assert results.get(timeout=1) == 4


def test_the_render_process_lays_out_without_collecting_its_garbage():
    # It exits after one document, which frees everything; collections on the way cost a fifth of a long render.
    import gc

    assert pdf._in_child_process(gc.isenabled) is False


def test_the_render_process_loads_the_engine_before_it_is_given_its_work():
    # So it is started first, and loads while the worker prepares the document.
    child = pdf.start_layout_process()
    try:
        maps = Path(f"/proc/{child.pid}/maps")
        deadline = time.monotonic() + 60
        while "libpango" not in maps.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "libpango" in maps.read_text()  # no work has been sent yet
        assert pdf._in_child_process(len, "four", child=child) == 4
    finally:
        pdf.end_layout_process(child)


def test_what_the_render_process_prints_does_not_spoil_its_outcome():
    # WeasyPrint prints when it cannot load a library; the C libraries may write to the descriptor directly.
    assert pdf._in_child_process(functools.partial(print, "a line on standard output", flush=True)) is None


def test_a_document_that_fails_before_its_render_process_has_finished_leaves_no_process_behind(
    account, staff, settings, monkeypatch
):
    settings.PDF_ISOLATE_LINES = 2
    invoice = services.invoice_issue(invoice=draft_with_lines(account, lines=LINES), actor=staff)
    started = []
    original = pdf.start_layout_process
    monkeypatch.setattr(pdf, "start_layout_process", lambda: started.append(original()) or started[-1])

    def broken_xml(invoice):
        raise ValueError("no XML")

    monkeypatch.setattr(INVOICE_PDF, "finisher", broken_xml)

    with pytest.raises(ValueError, match="no XML"):
        documents.document_ensure(INVOICE_PDF, pk=invoice.pk)

    (child,) = started
    assert child.returncode == -signal.SIGKILL  # ended, not left laying out a document that failed
    assert child.stdin.closed and child.stdout.closed


def test_the_worker_makes_the_finisher_once_the_child_has_the_document(monkeypatch):
    # An invoice's e-invoice XML (1.9 s for 5,000 lines) is made while the child lays the document out.
    events = []
    original_send = pdf._send

    def send(child, value):
        events.append("document sent" if isinstance(value, tuple) else "finish sent")
        original_send(child, value)

    def finisher():
        events.append("finisher made")
        return functools.partial(operator.add, 10)

    monkeypatch.setattr(pdf, "_send", send)

    assert pdf._in_child_process(len, "four", finisher=finisher) == 14
    assert events == ["document sent", "finisher made", "finish sent"]


def test_a_failure_in_the_child_comes_back_while_the_worker_still_sends_a_large_finisher(monkeypatch):
    # Both outcome and finisher exceed a pipe's buffer: the child reads what is sent before it answers.
    started = []
    original = pdf.start_layout_process
    monkeypatch.setattr(pdf, "start_layout_process", lambda: started.append(original()) or started[-1])
    large_finish = functools.partial(operator.add, b"x" * 2_000_000)
    outcome = []

    def render():
        try:
            pdf._in_child_process(operator.getitem, {}, "k" * 1_000_000, finisher=lambda: large_finish)
        except KeyError as error:
            outcome.append(error)

    thread = threading.Thread(target=render, daemon=True)
    thread.start()
    thread.join(60)
    try:
        assert not thread.is_alive(), "the worker and its child wait for each other"
        (error,) = outcome
        assert error.args == ("k" * 1_000_000,)
    finally:
        for child in started:
            pdf.end_layout_process(child)


def test_ending_a_render_process_that_has_ended_with_something_unsent_closes_its_pipes():
    # What `_send` left buffered for a child that died cannot be flushed; ending the child must not fail on it.
    child = pdf.start_layout_process()
    child.kill()
    child.wait()
    child.stdin.write(b"unsent")

    pdf.end_layout_process(child)

    assert child.stdin.closed and child.stdout.closed
