import pytest
from django.utils import timezone

from accounts.models import AuditEntry
from quotes.models import QUOTE_VALIDITY, QuoteState
from quotes.services import QuoteError, quote_submit

from .factories import QuoteFactory
from .helpers import emails_to

pytestmark = pytest.mark.django_db


def test_it_opens_the_quote_for_seven_days(account, staff):
    quote = QuoteFactory(account=account, currency="")
    before = timezone.now()
    quote_submit(quote=quote, actor=staff)
    quote.refresh_from_db()
    assert quote.state == QuoteState.SUBMITTED
    assert before <= quote.submitted_at <= timezone.now()
    assert quote.expires_at == quote.submitted_at + QUOTE_VALIDITY
    assert quote.account_manager == account.account_manager
    assert quote.currency == account.currency


def test_it_emails_the_billing_contact_a_link_to_the_quote(account, staff, settings):
    quote = QuoteFactory(account=account)
    quote_submit(quote=quote, actor=staff)
    [email] = emails_to(account.billing_contact.email)
    assert quote.number in email.subject
    assert f"{settings.PORTAL_URL}/quotes/{quote.pk}/" in email.message


def test_it_records_who_submitted_it(account, staff):
    quote = QuoteFactory(account=account)
    quote_submit(quote=quote, actor=staff)
    entry = AuditEntry.objects.get(action="quote_submit", object_id=quote.pk)
    assert entry.actor == staff
    assert entry.changes == {"state": ["draft", "submitted"], "tax_category": ["", "O"], "tax_rate": [None, "0.00"]}


def test_it_refuses_a_quote_without_lines(account, staff):
    quote = QuoteFactory(account=account, lines=[])
    with pytest.raises(QuoteError):
        quote_submit(quote=quote, actor=staff)
    quote.refresh_from_db()
    assert quote.state == QuoteState.DRAFT


def test_it_refuses_to_submit_twice(account, staff):
    quote = QuoteFactory(account=account)
    quote_submit(quote=quote, actor=staff)
    with pytest.raises(QuoteError):
        quote_submit(quote=quote, actor=staff)
    assert len(emails_to(account.billing_contact.email)) == 1
