"""The quote rules written once on the QuerySet, and the places that must say the same."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from quotes.models import QUOTE_VALIDITY, Quote, QuoteState
from quotes.services import quotes_expire_due, quotes_remind_due

from .factories import ProductFactory, QuoteFactory, SubmittedQuoteFactory

pytestmark = pytest.mark.django_db

# Where a quote's `expires_at` lies from `now`: both sides of each boundary the rules draw.
OFFSETS = [
    timedelta(days=-1),
    timedelta(microseconds=-1),
    timedelta(0),
    timedelta(microseconds=1),
    timedelta(hours=47),
    timedelta(hours=48),
    timedelta(hours=48, microseconds=1),
    timedelta(days=5),
]


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def quotes_around(account, other_account, now):
    """Submitted quotes at every offset (some already reminded), plus a draft and an expired quote."""
    for target in (account, other_account):
        for offset in OFFSETS:
            for reminded in (None, now - timedelta(hours=1)):
                SubmittedQuoteFactory(
                    account=target, submitted_at=now + offset - QUOTE_VALIDITY, reminder_sent_at=reminded
                )
        QuoteFactory(account=target)
        expired = SubmittedQuoteFactory(account=target, submitted_at=now - QUOTE_VALIDITY - timedelta(days=2))
        Quote.objects.filter(pk=expired.pk).update(state=QuoteState.EXPIRED)


def test_the_expiry_statement_expires_what_the_due_rule_selects(quotes_around, now):
    due = set(Quote.objects.due(now).values_list("pk", flat=True))
    assert due
    quotes_expire_due(now=now)
    expired_now = set(
        Quote.objects.filter(state=QuoteState.EXPIRED, decided_at__isnull=False).values_list("pk", flat=True)
    )
    assert expired_now == due


def test_the_reminder_statement_marks_what_the_reminder_rule_selects(quotes_around, now):
    due = set(Quote.objects.due_for_reminder(now).values_list("pk", flat=True))
    assert due
    quotes_remind_due(now=now)
    assert set(Quote.objects.filter(reminder_sent_at=now).values_list("pk", flat=True)) == due


def test_open_and_due_split_the_submitted_quotes_as_each_quote_does(quotes_around, now):
    submitted = list(Quote.objects.filter(state=QuoteState.SUBMITTED))
    assert set(Quote.objects.open(now)) == {quote for quote in submitted if quote.is_open_at(now)}
    assert set(Quote.objects.due(now)) == {quote for quote in submitted if quote.is_due_at(now)}
    assert not set(Quote.objects.open(now)) & set(Quote.objects.due(now))


def test_visible_to_hides_drafts_and_other_accounts(quotes_around, account):
    visible = Quote.objects.visible_to(account)
    assert visible.exists()
    assert not visible.filter(state=QuoteState.DRAFT).exists()
    assert set(visible.values_list("account_id", flat=True)) == {account.pk}


def test_with_totals_adds_up_the_lines(account):
    quote = QuoteFactory(
        account=account, lines=[(ProductFactory(), 2, Decimal("10.00")), (ProductFactory(), 3, Decimal("0.50"))]
    )
    empty = QuoteFactory(account=account, lines=[])
    totals = dict(Quote.objects.with_totals().values_list("pk", "total"))
    assert totals == {quote.pk: Decimal("21.50"), empty.pk: Decimal("0")}
