"""What every quote service shares: the domain error, locking a quote, and the one-currency rule."""

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ..errors import QuoteError
from ..models import (
    Quote,
    QuoteState,
)


def quote_link(quote: Quote) -> str:
    return settings.PORTAL_URL + reverse("quotes:detail", kwargs={"pk": quote.pk})


def _lock_quote(quote: Quote) -> Quote:
    return Quote.objects.select_for_update(of=("self",)).select_related("account", "account_manager").get(pk=quote.pk)


def _not_open_error(quote: Quote, now: datetime) -> QuoteError:
    if quote.is_due_at(now) or quote.state == QuoteState.EXPIRED:
        return QuoteError(
            _("Quote %(number)s has expired. Ask your account manager for a new quote.") % {"number": quote.number}
        )
    if quote.state == QuoteState.ACCEPTED:
        return QuoteError(_("Quote %(number)s has already been accepted.") % {"number": quote.number})
    if quote.state == QuoteState.DECLINED:
        return QuoteError(_("Quote %(number)s has already been declined.") % {"number": quote.number})
    if quote.state == QuoteState.WITHDRAWN:
        return QuoteError(_("Quote %(number)s has been withdrawn.") % {"number": quote.number})
    return QuoteError(_("Quote %(number)s is not open.") % {"number": quote.number})


def quotes_currency(*, quotes: Iterable[Quote]) -> str:
    """The one currency of `quotes`: amounts in different currencies are never added up."""
    currencies = {quote.currency for quote in quotes}
    if len(currencies) != 1:
        raise QuoteError(_("Quotes in different currencies must be accepted one by one."))
    return currencies.pop()


def _quote_total(quote: Quote) -> Decimal:
    return Quote.objects.with_totals().values_list("total", flat=True).get(pk=quote.pk)


def _quote_gross(quote: Quote) -> Decimal:
    """What the customer pays: the net total and the tax of the treatment frozen on the quote."""
    net = _quote_total(quote)
    return net + quote.treatment.tax_on(net)


def _copy(source, target, fields: Iterable[str]) -> None:
    for field in fields:
        setattr(target, field, getattr(source, field))
