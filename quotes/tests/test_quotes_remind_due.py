from datetime import timedelta

import pytest
from django.utils import timezone

from quotes.models import QUOTE_VALIDITY
from quotes.services import quotes_remind_due

from .factories import SubmittedQuoteFactory
from .helpers import emails_to

pytestmark = pytest.mark.django_db


def _expiring_in(account, delta):
    submitted_at = timezone.now() + delta - QUOTE_VALIDITY
    return SubmittedQuoteFactory(account=account, submitted_at=submitted_at)


def test_it_reminds_the_billing_contact_48_hours_before_expiry(account, contact):
    soon = _expiring_in(account, timedelta(hours=47))
    _expiring_in(account, timedelta(hours=49))
    assert quotes_remind_due() == 1
    [email] = emails_to(contact.email)
    assert soon.number in email.message
    soon.refresh_from_db()
    assert soon.reminder_sent_at is not None


def test_it_reminds_only_once(account, contact):
    _expiring_in(account, timedelta(hours=10))
    assert quotes_remind_due() == 1
    assert quotes_remind_due() == 0
    assert len(emails_to(contact.email)) == 1


def test_it_does_not_remind_about_expired_quotes(account, contact):
    _expiring_in(account, timedelta(seconds=-1))
    assert quotes_remind_due() == 0
