import pytest

from accounts.models import AuditEntry
from quotes import services
from quotes.models import Cart, QuoteState
from quotes.services import QuoteError, quote_decline

from .factories import overdue
from .helpers import emails_to

pytestmark = pytest.mark.django_db


def test_it_declines_with_a_comment(open_quote, contact):
    quote_decline(quote=open_quote, actor=contact, comment="  Too expensive for us.  ")
    open_quote.refresh_from_db()
    assert open_quote.state == QuoteState.DECLINED
    assert open_quote.decline_comment == "Too expensive for us."
    assert open_quote.decided_by == contact
    assert AuditEntry.objects.get(action="quote_decline", object_id=open_quote.pk).actor == contact


def test_it_emails_the_account_manager_the_comment(open_quote, contact, account):
    quote_decline(quote=open_quote, actor=contact, comment="Too expensive for us.")
    [email] = emails_to(account.account_manager.email)
    assert open_quote.number in email.subject
    assert "Too expensive for us." in email.message


def test_it_requires_a_comment(open_quote, contact):
    with pytest.raises(QuoteError):
        quote_decline(quote=open_quote, actor=contact, comment="   ")
    open_quote.refresh_from_db()
    assert open_quote.state == QuoteState.SUBMITTED


def test_it_refuses_an_overdue_quote_before_the_expiry_task_ran(open_quote, contact, account):
    overdue(open_quote, by=__import__("datetime").timedelta(seconds=1))
    with pytest.raises(QuoteError, match="expired"):
        quote_decline(quote=open_quote, actor=contact, comment="No")
    open_quote.refresh_from_db()
    assert open_quote.state == QuoteState.SUBMITTED
    assert emails_to(account.account_manager.email) == []


def test_it_refuses_to_decline_twice(open_quote, contact):
    quote_decline(quote=open_quote, actor=contact, comment="No")
    with pytest.raises(QuoteError, match="already been declined"):
        quote_decline(quote=open_quote, actor=contact, comment="No again")


def test_it_takes_the_quote_out_of_the_cart(open_quote, contact, account):
    services.cart_add(account=account, contact=contact, quote_ids=[open_quote.pk])
    quote_decline(quote=open_quote, actor=contact, comment="No")
    assert not Cart.objects.get(account=account, contact=contact).quotes.exists()
