"""E-mail delivery against a real SMTP server (aiosmtpd) that fails for a while."""

import socket
import time

import pytest
from aiosmtpd.controller import Controller
from django.contrib.admin.sites import site
from django.test import RequestFactory
from post_office.models import STATUS, Email

from billing_portal import emails

pytestmark = pytest.mark.django_db


class FlakyHandler:
    """Answers each DATA with the next scripted reply ("451 ...", "550 ...", "sleep", or "250 OK")."""

    def __init__(self):
        self.script: list[str] = []
        self.delivered: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        reply = self.script.pop(0) if self.script else "250 OK"
        if reply == "sleep":
            import asyncio

            await asyncio.sleep(3)
            return "451 too slow"
        if reply.startswith("250"):
            self.delivered.append(envelope.content)
        return reply


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp(settings):
    handler = FlakyHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.POST_OFFICE = {
        **settings.POST_OFFICE,
        "BACKENDS": {"default": "django.core.mail.backends.smtp.EmailBackend"},
    }
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", controller.port, 1
    from post_office.connections import connections

    connections.close()
    yield handler
    connections.close()
    controller.stop()


def queue_one() -> Email:
    return emails.queue(
        to=["ap@customer.example"], template="password-changed", context={"contact": {"first_name": "Ann"}}
    )


def make_due():
    Email.objects.filter(status=STATUS.requeued).update(scheduled_time=None)


def test_temporary_failures_are_retried_until_delivered_once(smtp):
    smtp.script = ["451 try again later", "421 service not available", "451 try again later"]
    email = queue_one()
    for _ in range(3):
        assert emails.deliver_due() == 0
        email.refresh_from_db()
        assert email.status == STATUS.requeued
        make_due()
    assert emails.deliver_due() == 1
    assert emails.deliver_due() == 0
    email.refresh_from_db()
    assert email.status == STATUS.sent and email.number_of_retries == 3
    assert len(smtp.delivered) == 1


def test_backoff_grows_between_retries(smtp):
    smtp.script = ["451 a", "451 b"]
    email = queue_one()
    delays = []
    for _ in range(2):
        started = time.time()
        emails.deliver_due()
        email.refresh_from_db()
        delays.append(email.scheduled_time.timestamp() - started)
        make_due()
    assert delays[1] > delays[0] * 1.5


def test_a_timeout_is_retried(smtp):
    smtp.script = ["sleep"]
    email = queue_one()
    emails.deliver_due()
    email.refresh_from_db()
    assert email.status == STATUS.requeued
    make_due()
    assert emails.deliver_due() == 1


def test_a_permanent_failure_is_failed_and_staff_can_retry_it(smtp, admin_user):
    smtp.script = ["550 mailbox unavailable"]
    email = queue_one()
    emails.deliver_due()
    email.refresh_from_db()
    assert email.status == STATUS.failed
    assert "550" in email.logs.get().message

    model_admin = site._registry[Email]
    request = RequestFactory().post("/admin/post_office/email/")
    request.user = admin_user
    request._messages = type("M", (), {"add": lambda *args, **kwargs: None})()
    model_admin.get_actions(request)["requeue"][0](model_admin, request, Email.objects.filter(pk=email.pk))
    assert emails.deliver_due() == 1
    assert len(smtp.delivered) == 1
