import smtplib

import pytest
from django.db import transaction
from post_office.models import STATUS, Email

from accounts import services
from billing_portal import emails

pytestmark = pytest.mark.django_db


def test_an_email_is_queued_with_the_change(account, contact):
    services.account_request_create(account=account, contact=contact, kind="other", message="Hello")
    assert Email.objects.filter(status=STATUS.queued).count() == 1


def test_no_email_survives_a_rolled_back_change(account, contact):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.account_request_create(account=account, contact=contact, kind="other", message="Hello")
        raise RuntimeError("the change fails after the e-mail was queued")
    assert not Email.objects.exists()
    assert not account.requests.exists()


def test_delivery_sends_once_and_marks_sent(account, contact, mailoutbox):
    services.account_request_create(account=account, contact=contact, kind="other", message="Hello")
    assert emails.deliver_due() == 1
    assert emails.deliver_due() == 0
    assert len(mailoutbox) == 1
    assert Email.objects.get().status == STATUS.sent


def test_a_held_email_waits_for_its_attachment(account, contact, mailoutbox):
    email = emails.queue(
        to=["x@customer.example"], template="password-changed", context={"contact": contact}, hold=True
    )
    assert emails.deliver_due() == 0
    assert emails.release(email.pk, attachments={"receipt.pdf": b"%PDF-1.4"}) is True
    assert emails.release(email.pk, attachments={"receipt.pdf": b"%PDF-1.4"}) is False
    assert emails.deliver_due() == 1
    assert mailoutbox[0].attachments[0][0] == "receipt.pdf"


@pytest.mark.parametrize("language", ["en", "de"])
def test_an_html_email_names_the_language_it_is_written_in(contact, language):
    email = emails.queue(
        to=["x@customer.example"], template="password-changed", context={"contact": contact}, language=language
    )
    assert f'<html lang="{language}">' in email.html_message


class FailingBackend:
    error: Exception

    def __init__(self, *args, **kwargs):
        pass

    def open(self):
        pass

    def close(self):
        pass

    def send_messages(self, messages):
        raise self.error


@pytest.fixture
def failing_backend(settings):
    settings.POST_OFFICE = {
        **settings.POST_OFFICE,
        "BACKENDS": {"default": "accounts.tests.test_emails.FailingBackend"},
    }
    from post_office.connections import connections

    connections.close()
    yield FailingBackend
    connections.close()


def test_a_temporary_failure_requeues_with_backoff(account, contact, failing_backend):
    failing_backend.error = smtplib.SMTPResponseException(451, b"try later")
    services.account_request_create(account=account, contact=contact, kind="other", message="Hello")
    emails.deliver_due()
    email = Email.objects.get()
    assert email.status == STATUS.requeued
    assert email.number_of_retries == 1
    assert email.scheduled_time is not None
    assert email.logs.get().exception_type == "SMTPResponseException"


def test_a_permanent_failure_marks_the_email_failed(account, contact, failing_backend):
    failing_backend.error = smtplib.SMTPResponseException(550, b"no such mailbox")
    services.account_request_create(account=account, contact=contact, kind="other", message="Hello")
    emails.deliver_due()
    assert Email.objects.get().status == STATUS.failed
