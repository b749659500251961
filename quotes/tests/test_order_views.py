"""Review, place and confirm a service order."""

import pytest
from django.urls import reverse

from quotes import services
from quotes.models import QuoteState, ServiceOrder

from .factories import SubmittedQuoteFactory, overdue
from .helpers import draft_order, emails_to, place_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(account, contact, open_quote):
    return draft_order(account=account, contact=contact, quotes=[open_quote])


def test_the_review_shows_the_whole_order(contact_client, order, open_quote):
    page = contact_client.get(reverse("quotes:order_review", kwargs={"pk": order.pk})).content.decode()
    for text in (
        open_quote.number,
        "Pat Admin",
        "pat@acme.example",
        "Place Service Order",
        str(order.token),
        "$600.00",
    ):
        assert text in page, text


def test_it_places_the_order_and_shows_the_confirmation(contact_client, order, open_quote, contact):
    response = contact_client.post(
        reverse("quotes:order_place", kwargs={"pk": order.pk}), place_form(order), follow=True
    )
    order.refresh_from_db()
    open_quote.refresh_from_db()
    assert order.state == ServiceOrder.State.PLACED
    assert open_quote.state == QuoteState.ACCEPTED
    assert response.redirect_chain[-1][0] == reverse("quotes:order_confirmation", kwargs={"pk": order.pk})
    page = response.content.decode()
    assert order.receipt_number in page
    assert "Your service order has been placed." in page
    assert len(emails_to(contact.email)) == 1


def test_placing_twice_shows_the_same_confirmation(contact_client, order, contact):
    url = reverse("quotes:order_place", kwargs={"pk": order.pk})
    first = contact_client.post(url, place_form(order))
    second = contact_client.post(url, place_form(order))
    assert first.url == second.url == reverse("quotes:order_confirmation", kwargs={"pk": order.pk})
    assert ServiceOrder.objects.filter(state="placed").count() == 1
    assert len(emails_to(contact.email)) == 1


def test_placing_from_a_second_tab_shows_the_first_orders_confirmation(
    contact_client, account, contact, open_quote, order
):
    second = draft_order(account=account, contact=contact, quotes=[open_quote])
    contact_client.post(reverse("quotes:order_place", kwargs={"pk": order.pk}), place_form(order))
    response = contact_client.post(reverse("quotes:order_place", kwargs={"pk": second.pk}), place_form(second))
    assert response.url == reverse("quotes:order_confirmation", kwargs={"pk": order.pk})
    assert len(emails_to(contact.email)) == 1


def test_placing_rejects_get(contact_client, order):
    assert contact_client.get(reverse("quotes:order_place", kwargs={"pk": order.pk})).status_code == 405


def test_placing_is_404_for_another_account(client, order, other_account):
    client.force_login(other_account.billing_contact)
    response = client.post(reverse("quotes:order_place", kwargs={"pk": order.pk}), place_form(order))
    assert response.status_code == 404
    order.refresh_from_db()
    assert order.state == ServiceOrder.State.DRAFT


def test_placing_with_a_wrong_token_shows_a_form_error(contact_client, order):
    response = contact_client.post(reverse("quotes:order_place", kwargs={"pk": order.pk}), {"token": "garbage"})
    assert response.status_code == 200
    assert response.context["form"].errors["token"]
    order.refresh_from_db()
    assert order.state == ServiceOrder.State.DRAFT


def test_placing_an_expired_quote_is_refused_with_a_message(contact_client, order, open_quote, contact):
    overdue(open_quote)
    response = contact_client.post(reverse("quotes:order_place", kwargs={"pk": order.pk}), place_form(order))
    assert response.status_code == 200
    assert "has expired" in response.content.decode()
    open_quote.refresh_from_db()
    assert open_quote.state == QuoteState.SUBMITTED
    assert emails_to(contact.email) == []


def test_the_confirmation_of_a_draft_goes_to_the_review(contact_client, order):
    response = contact_client.get(reverse("quotes:order_confirmation", kwargs={"pk": order.pk}))
    assert response.url == reverse("quotes:order_review", kwargs={"pk": order.pk})


def test_the_review_of_a_placed_order_goes_to_the_confirmation(contact_client, order, contact):
    services.service_order_place(order=order, actor=contact)
    response = contact_client.get(reverse("quotes:order_review", kwargs={"pk": order.pk}))
    assert response.url == reverse("quotes:order_confirmation", kwargs={"pk": order.pk})


def test_the_pages_are_404_for_another_account(client, order, other_account):
    client.force_login(other_account.billing_contact)
    for name in ("quotes:order_review", "quotes:order_confirmation"):
        assert client.get(reverse(name, kwargs={"pk": order.pk})).status_code == 404


def test_the_confirmation_query_count_is_fixed(contact_client, account, contact, django_assert_max_num_queries):
    quotes = [SubmittedQuoteFactory(account=account) for _ in range(5)]
    order = services.service_order_place(
        order=draft_order(account=account, contact=contact, quotes=quotes), actor=contact
    )
    with django_assert_max_num_queries(8):
        contact_client.get(reverse("quotes:order_confirmation", kwargs={"pk": order.pk}))


def test_the_review_query_count_is_fixed(contact_client, account, contact, django_assert_max_num_queries):
    quotes = [SubmittedQuoteFactory(account=account) for _ in range(5)]
    order = draft_order(account=account, contact=contact, quotes=quotes)
    with django_assert_max_num_queries(9):  # one more than the confirmation: the current terms
        contact_client.get(reverse("quotes:order_review", kwargs={"pk": order.pk}))
