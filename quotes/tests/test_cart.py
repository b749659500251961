"""The cart views: add, view, remove, and on to payment."""

import pytest
from django.urls import reverse

from quotes import services
from quotes.models import Cart, Quote, QuoteState

from .factories import SubmittedQuoteFactory, overdue

pytestmark = pytest.mark.django_db


def cart_of(account, contact):
    return set(Cart.objects.get(account=account, contact=contact).quotes.all())


def test_it_adds_the_selected_quotes(contact_client, account, contact):
    quotes = [SubmittedQuoteFactory(account=account) for _ in range(3)]
    response = contact_client.post(reverse("quotes:cart_add"), {"quotes": [q.pk for q in quotes[:2]]})
    assert response.status_code == 302
    assert cart_of(account, contact) == set(quotes[:2])


def test_adding_rejects_get(contact_client):
    assert contact_client.get(reverse("quotes:cart_add")).status_code == 405


def test_adding_ignores_another_accounts_quote(contact_client, account, contact, other_quote):
    response = contact_client.post(reverse("quotes:cart_add"), {"quotes": [other_quote.pk]}, follow=True)
    assert "Select at least one open quote." in response.content.decode()
    assert not Cart.objects.filter(quotes=other_quote).exists()


def test_adding_without_a_selection_shows_an_error(contact_client):
    response = contact_client.post(reverse("quotes:cart_add"), {"quotes": ["not-a-number"]}, follow=True)
    assert response.status_code == 200
    assert "Select at least one open quote." in response.content.decode()


def test_the_cart_survives_signing_out(client, contact, account, open_quote):
    services.cart_add(account=account, contact=contact, quote_ids=[open_quote.pk])
    client.force_login(contact)
    client.post(reverse("accounts:logout"))
    client.force_login(contact)
    assert open_quote.number in client.get(reverse("quotes:cart")).content.decode()


def test_it_shows_a_withdrawn_quote_as_such_and_blocks_payment(contact_client, account, contact, staff):
    quotes = [SubmittedQuoteFactory(account=account) for _ in range(2)]
    services.cart_add(account=account, contact=contact, quote_ids=[q.pk for q in quotes])
    services.quote_withdraw(quote=quotes[0], actor=staff)
    page = contact_client.get(reverse("quotes:cart")).content.decode()
    assert "Withdrawn" in page
    assert "Remove the quotes that can no longer be accepted" in page
    assert reverse("quotes:cart_checkout") not in page
    assert 'disabled aria-disabled="true">Proceed to Payment</button>' in page


def test_it_shows_an_expired_quote_as_such(contact_client, account, contact, open_quote):
    services.cart_add(account=account, contact=contact, quote_ids=[open_quote.pk])
    overdue(open_quote)
    page = contact_client.get(reverse("quotes:cart")).content.decode()
    assert "Expired" in page
    assert "Can no longer be accepted" in page


def test_it_removes_a_quote(contact_client, account, contact, open_quote):
    services.cart_add(account=account, contact=contact, quote_ids=[open_quote.pk])
    response = contact_client.post(reverse("quotes:cart_remove", kwargs={"pk": open_quote.pk}))
    assert response.status_code == 302
    assert cart_of(account, contact) == set()


def test_removing_rejects_get(contact_client, open_quote):
    assert contact_client.get(reverse("quotes:cart_remove", kwargs={"pk": open_quote.pk})).status_code == 405


def test_removing_is_404_for_another_account(contact_client, other_quote):
    assert contact_client.post(reverse("quotes:cart_remove", kwargs={"pk": other_quote.pk})).status_code == 404


def test_the_cart_leads_straight_to_payment_for_every_quote(contact_client, account, contact):
    quotes = [SubmittedQuoteFactory(account=account) for _ in range(3)]
    services.cart_add(account=account, contact=contact, quote_ids=[q.pk for q in quotes])
    page = contact_client.get(reverse("quotes:cart")).content.decode()
    assert f'<a class="btn btn-primary" href="{reverse("quotes:cart_checkout")}" id="cart-checkout">' in page
    assert "Save Cart and Review" not in page
    payment = contact_client.get(reverse("quotes:cart_checkout")).content.decode()
    for quote in quotes:
        assert quote.number in payment
    assert "$1,800.00" in payment


@pytest.mark.parametrize(("method", "path"), [("get", "/quotes/cart/review/"), ("post", "/quotes/cart/save/")])
def test_the_former_review_step_leads_to_payment(contact_client, account, contact, open_quote, method, path):
    services.cart_add(account=account, contact=contact, quote_ids=[open_quote.pk])
    response = getattr(contact_client, method)(path)
    assert response.status_code == 302
    assert response.url == reverse("quotes:cart_checkout")


def test_an_empty_cart_offers_no_payment(contact_client):
    page = contact_client.get(reverse("quotes:cart")).content.decode()
    assert "Your cart is empty." in page
    assert reverse("quotes:cart_checkout") not in page


def test_the_cart_query_count_is_fixed(contact_client, account, contact, django_assert_max_num_queries):
    quotes = [SubmittedQuoteFactory(account=account) for _ in range(10)]
    services.cart_add(account=account, contact=contact, quote_ids=[q.pk for q in quotes])
    with django_assert_max_num_queries(8):
        contact_client.get(reverse("quotes:cart"))


def test_only_open_quotes_can_be_added(contact_client, account, contact):
    quote = SubmittedQuoteFactory(account=account)
    Quote.objects.filter(pk=quote.pk).update(state=QuoteState.WITHDRAWN)
    contact_client.post(reverse("quotes:cart_add"), {"quotes": [quote.pk]})
    assert not Cart.objects.filter(quotes=quote).exists()


def test_adding_and_removing_are_audited_once(account, contact):
    from accounts.audit import AuditAction
    from accounts.models import AuditEntry
    from quotes import services as cart_services

    quote = SubmittedQuoteFactory(account=account)
    cart_services.cart_add(account=account, contact=contact, quote_ids=[quote.pk])
    cart_services.cart_add(account=account, contact=contact, quote_ids=[quote.pk])  # already there: nothing to record
    cart_services.cart_remove(account=account, contact=contact, quote=quote)
    cart_services.cart_remove(account=account, contact=contact, quote=quote)  # already gone: nothing to record
    added = AuditEntry.objects.get(action=AuditAction.CART_ADD)
    removed = AuditEntry.objects.get(action=AuditAction.CART_REMOVE)
    assert (added.actor, added.account, added.changes) == (contact, account, {"quotes": [None, [quote.number]]})
    assert removed.changes == {"quotes": [[quote.number], None]}
