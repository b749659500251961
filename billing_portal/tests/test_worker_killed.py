"""A Celery worker killed with SIGKILL in the middle of sending an e-mail."""

import os
import signal
import threading

import pytest
from aiosmtpd.controller import Controller
from django.db import transaction
from post_office.models import STATUS, Email

from billing_portal import emails
from billing_portal.celery import app
from billing_portal.tasks import send_queued_mail

from .processes import RedisServer, celery_worker, free_port, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


class StallingHandler:
    """Stalls the first attempt before the message is accepted (at RCPT); accepts the next ones."""

    def __init__(self):
        self.stalled = threading.Event()
        self.release = threading.Event()
        self.delivered: list[bytes] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        import asyncio

        if not self.stalled.is_set():
            self.stalled.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return "451 stalled attempt"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.delivered.append(envelope.content)
        return "250 OK"


def test_a_second_worker_sends_the_email_exactly_once(tmp_path):
    redis = RedisServer(tmp_path)
    redis.start()
    handler = StallingHandler()
    smtp = Controller(handler, hostname="127.0.0.1", port=free_port())
    smtp.start()
    worker_env = {
        "DELIVERY_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp.port),
        "CELERY_VISIBILITY_TIMEOUT": "3",
        "CELERY_RESTORE_INTERVAL": "1",
    }
    try:
        with transaction.atomic():
            email = emails.queue(
                to=["ap@customer.example"],
                template="password-changed",
                context={"contact": {"first_name": "Ann", "username": "ann"}},
            )
        with app.connection_for_write(redis.url) as broker:
            send_queued_mail.apply_async(connection=broker)

        with celery_worker(redis.url, name="first", **worker_env) as first:
            assert handler.stalled.wait(60), "the first worker never started sending"
            os.killpg(first.pid, signal.SIGKILL)  # the whole worker, mid-SMTP, with the task unacknowledged
            first.wait(10)
        handler.release.set()
        assert Email.objects.get(pk=email.pk).status == STATUS.queued

        # acks_late: the unacknowledged task goes to the next worker once its visibility timeout passed.
        with celery_worker(redis.url, name="second", **worker_env):
            wait_until(lambda: Email.objects.get(pk=email.pk).status == STATUS.sent, timeout=60)
        assert len(handler.delivered) == 1
    finally:
        smtp.stop()
        redis.stop()
