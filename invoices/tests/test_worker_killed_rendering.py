"""A Celery worker killed with SIGKILL in the middle of rendering an invoice PDF."""

import os
import signal
from decimal import Decimal

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from post_office.models import STATUS, Email

from billing_portal.celery import app
from billing_portal.tasks import held_email_release
from billing_portal.tests.processes import RedisServer, celery_worker, free_port, wait_until
from invoices import services
from invoices.documents import INVOICE_EMAIL
from invoices.models import Invoice, InvoiceDelivery
from invoices.tests.factories import draft_with_lines

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


class CountingHandler:
    def __init__(self):
        self.messages: list[list[str]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(list(envelope.rcpt_tos))
        return "250 OK"


def rendering_under_lock() -> bool:
    """Another connection holds the invoice's row lock: a worker is rendering its PDF."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            "WHERE c.relname = 'invoices_invoice' AND l.mode = 'RowShareLock' AND l.pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0] > 0


def test_another_worker_renders_it_and_the_email_goes_out_once(account, contact, tmp_path):
    lines = [
        (Decimal("1"), Decimal("10.00"), f"Line {n}: a long description of what was delivered") for n in range(600)
    ]
    invoice = services.invoice_issue(invoice=draft_with_lines(account, lines=lines), actor=None)
    delivery = InvoiceDelivery.objects.get(invoice=invoice)

    redis = RedisServer(tmp_path)
    redis.start()
    handler = CountingHandler()
    smtp = Controller(handler, hostname="127.0.0.1", port=free_port())
    smtp.start()
    worker_env = {
        "DELIVERY_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp.port),
        "CELERY_VISIBILITY_TIMEOUT": "3",
        "CELERY_RESTORE_INTERVAL": "1",
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    try:
        with app.connection_for_write(redis.url) as broker:
            held_email_release.apply_async((INVOICE_EMAIL.kind, delivery.pk), connection=broker)
        with celery_worker(redis.url, name="first", **worker_env) as first:
            wait_until(rendering_under_lock, timeout=60, interval=0.02)
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(10)
        invoice.refresh_from_db()
        assert not invoice.pdf, "the render finished before the kill; make the invoice longer"
        assert Email.objects.get(pk=delivery.email_id).scheduled_time.year == 9999  # still held

        with celery_worker(redis.url, name="second", **worker_env):
            wait_until(lambda: Email.objects.get(pk=delivery.email_id).status == STATUS.sent, timeout=120)
        assert Invoice.objects.get(pk=invoice.pk).pdf
        assert len(handler.messages) == 1  # one e-mail, sent once, to the contact and every recipient
        assert contact.email in handler.messages[0]
    finally:
        smtp.stop()
        redis.stop()
