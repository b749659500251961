import pytest
from django.urls import reverse

from quotes.models import QuoteState

from .factories import overdue
from .helpers import emails_to

pytestmark = pytest.mark.django_db


def url(quote):
    return reverse("quotes:decline", kwargs={"pk": quote.pk})


def test_it_shows_the_form(contact_client, open_quote):
    page = contact_client.get(url(open_quote)).content.decode()
    assert "Comments" in page
    assert ">Submit<" in page


def test_it_declines_with_a_comment(contact_client, open_quote, account):
    response = contact_client.post(url(open_quote), {"comment": "Too many seats"})
    assert response.status_code == 302
    assert response.url == reverse("quotes:list") + "?state=declined"
    open_quote.refresh_from_db()
    assert open_quote.state == QuoteState.DECLINED
    assert open_quote.decline_comment == "Too many seats"
    assert len(emails_to(account.account_manager.email)) == 1


def test_it_shows_a_form_error_for_a_missing_comment(contact_client, open_quote):
    response = contact_client.post(url(open_quote), {"comment": "   "})
    assert response.status_code == 200
    assert response.context["form"].errors["comment"]
    open_quote.refresh_from_db()
    assert open_quote.state == QuoteState.SUBMITTED


def test_it_shows_a_form_error_for_a_comment_over_2000_characters(contact_client, open_quote):
    response = contact_client.post(url(open_quote), {"comment": "x" * 2001})
    assert response.context["form"].errors["comment"]


def test_it_refuses_an_expired_quote_with_a_form_error(contact_client, open_quote):
    overdue(open_quote)
    response = contact_client.post(url(open_quote), {"comment": "No"})
    assert response.status_code == 200
    assert "has expired" in response.content.decode()
    open_quote.refresh_from_db()
    assert open_quote.state == QuoteState.SUBMITTED


def test_it_is_404_for_another_account(contact_client, other_quote):
    assert contact_client.post(url(other_quote), {"comment": "No"}).status_code == 404
    other_quote.refresh_from_db()
    assert other_quote.state == QuoteState.SUBMITTED


def test_it_requires_sign_in(client, open_quote):
    response = client.post(url(open_quote), {"comment": "No"})
    assert response.status_code == 302
    assert "/?next=" in response.url
