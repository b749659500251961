from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from quotes.models import AdminContact, QuoteLine, QuoteState

from .factories import ProductFactory, QuoteFactory, SubmittedQuoteFactory

pytestmark = pytest.mark.django_db


def test_it_computes_the_line_total_on_the_server(account):
    quote = QuoteFactory(account=account, lines=[])
    line = QuoteLine.objects.create(
        quote=quote,
        product=ProductFactory(),
        seats=3,
        unit_price=Decimal("99.99"),
        discount_percent=Decimal("12.5"),
        line_total=Decimal("1000000"),
    )
    line.refresh_from_db()
    assert line.line_total == Decimal("262.47")  # 299.97 - 37.49625, rounded half up


def test_it_refuses_a_negative_price(account):
    quote = QuoteFactory(account=account, lines=[])
    with pytest.raises(IntegrityError), transaction.atomic():
        QuoteLine.objects.create(quote=quote, product=ProductFactory(), seats=1, unit_price=Decimal("-1"))


def test_it_refuses_an_expiry_other_than_seven_days_after_submission(account):
    quote = SubmittedQuoteFactory(account=account)
    quote.expires_at = quote.submitted_at + timedelta(days=8)
    with pytest.raises(IntegrityError), transaction.atomic():
        quote.save(update_fields=["expires_at"])


def test_it_refuses_an_accepted_quote_without_its_order(account):
    quote = SubmittedQuoteFactory(account=account)
    quote.state = QuoteState.ACCEPTED
    with pytest.raises(IntegrityError), transaction.atomic():
        quote.save(update_fields=["state"])


def test_it_refuses_two_admins_with_the_same_email_in_one_account(account, other_account):
    AdminContact.objects.create(account=account, name="Pat", email="pat@acme.example")
    AdminContact.objects.create(account=other_account, name="Pat", email="PAT@acme.example")
    with pytest.raises(IntegrityError), transaction.atomic():
        AdminContact.objects.create(account=account, name="Pat", email="PAT@acme.example")
