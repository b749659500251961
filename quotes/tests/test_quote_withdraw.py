import pytest

from accounts.models import AuditEntry
from quotes.models import QuoteState
from quotes.services import QuoteError, quote_withdraw

from .factories import overdue

pytestmark = pytest.mark.django_db


def test_it_withdraws_an_open_quote(open_quote, staff):
    quote_withdraw(quote=open_quote, actor=staff)
    open_quote.refresh_from_db()
    assert open_quote.state == QuoteState.WITHDRAWN
    assert open_quote.decided_by == staff
    assert AuditEntry.objects.filter(action="quote_withdraw", object_id=open_quote.pk).exists()


def test_it_refuses_an_overdue_quote(open_quote, staff):
    overdue(open_quote)
    with pytest.raises(QuoteError):
        quote_withdraw(quote=open_quote, actor=staff)
    open_quote.refresh_from_db()
    assert open_quote.state == QuoteState.SUBMITTED
