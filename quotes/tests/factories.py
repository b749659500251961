from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from accounts.tests.factories import CompanyAccountFactory
from quotes.models import QUOTE_VALIDITY, Product, Quote, QuoteLine, QuoteState, TermsVersion


class ProductFactory(DjangoModelFactory):
    class Meta:
        model = Product
        django_get_or_create = ["sku"]

    sku = factory.Sequence(lambda n: f"SKU-{n:04d}")
    name = factory.Sequence(lambda n: f"Remote Support {n}")


class QuoteFactory(DjangoModelFactory):
    """A draft quote; `SubmittedQuoteFactory` for one open to the customer."""

    class Meta:
        model = Quote
        skip_postgeneration_save = True

    account = factory.SubFactory(CompanyAccountFactory)
    currency = factory.LazyAttribute(lambda quote: quote.account.currency)

    @factory.post_generation
    def lines(quote, create, extracted, **kwargs):
        if not create:
            return
        for product, seats, unit_price in extracted if extracted is not None else [(None, 5, Decimal("120.00"))]:
            QuoteLine.objects.create(
                quote=quote, product=product or ProductFactory(), seats=seats, unit_price=unit_price
            )


class SubmittedQuoteFactory(QuoteFactory):
    state = QuoteState.SUBMITTED
    submitted_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    expires_at = factory.LazyAttribute(lambda quote: quote.submitted_at + QUOTE_VALIDITY)
    account_manager = factory.LazyAttribute(lambda quote: quote.account.account_manager)
    # What quote_submit freezes on the quote.
    tax_category = factory.LazyAttribute(lambda quote: quote.account.tax_treatment.category)
    tax_rate = factory.LazyAttribute(lambda quote: quote.account.tax_treatment.rate)


def overdue(quote: Quote, *, by: timedelta = timedelta(minutes=1)) -> Quote:
    """Move a submitted quote's dates so that `expires_at` passed `by` ago (the expiry task has not run)."""
    quote.submitted_at = timezone.now() - QUOTE_VALIDITY - by
    quote.expires_at = quote.submitted_at + QUOTE_VALIDITY
    quote.save(update_fields=["submitted_at", "expires_at"])
    return quote


class TermsVersionFactory(DjangoModelFactory):
    """Published terms; `published_at=None` for a draft."""

    class Meta:
        model = TermsVersion

    language = "en"
    version = factory.Sequence(lambda n: f"2027-{n:02d}")
    title = factory.LazyAttribute(lambda t: "Geschäftsbedingungen" if t.language == "de" else "Terms of service")
    text = "1. Placing a service order is binding.\n\n2. Invoices are due within 30 days."
    published_at = factory.LazyFunction(timezone.now)


def current_terms() -> dict[str, TermsVersion]:
    """The current terms in English and German: the migration's, or new ones where a test emptied the tables."""
    return {
        language: TermsVersion.objects.published().filter(language=language).order_by("-published_at").first()
        or TermsVersionFactory(language=language)
        for language in ("en", "de")
    }
