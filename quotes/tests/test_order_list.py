"""The Orders page: every placed service order of the account, with its quotes, total and receipt."""

from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from billing_portal.templatetags.money import money
from quotes import selectors
from quotes.services import service_order_place

from .factories import SubmittedQuoteFactory
from .helpers import draft_order

pytestmark = pytest.mark.django_db


def placed_order(account, contact, quotes):
    return service_order_place(order=draft_order(account=account, contact=contact, quotes=quotes), actor=contact)


def test_it_lists_each_placed_order_with_its_quotes_total_and_receipt(contact_client, account, contact):
    first, second = SubmittedQuoteFactory(account=account), SubmittedQuoteFactory(account=account)
    order = placed_order(account, contact, [first, second])
    page = contact_client.get(reverse("quotes:orders")).content.decode()
    for text in (
        order.number,
        first.number,
        second.number,
        f"${order.total:,.2f}",
        reverse("quotes:order_receipt_pdf", kwargs={"pk": order.pk}),
        reverse("quotes:detail", kwargs={"pk": first.pk}),
    ):
        assert text in page, text


def test_it_leaves_out_drafts_and_other_accounts_orders(contact_client, account, contact, other_account):
    draft = draft_order(account=account, contact=contact, quotes=[SubmittedQuoteFactory(account=account)])
    foreign = placed_order(other_account, other_account.billing_contact, [SubmittedQuoteFactory(account=other_account)])
    page = contact_client.get(reverse("quotes:orders")).content.decode()
    assert draft.number not in page
    assert foreign.number not in page
    assert "No service order has been placed yet." in page


def test_its_query_count_does_not_grow_with_the_orders(contact_client, account, contact, django_assert_max_num_queries):
    placed_order(account, contact, [SubmittedQuoteFactory(account=account)])
    contact_client.get(reverse("quotes:orders"))  # warm the session and the account
    with django_assert_max_num_queries(12) as one:
        contact_client.get(reverse("quotes:orders"))
    for _ in range(3):
        placed_order(account, contact, [SubmittedQuoteFactory(account=account), SubmittedQuoteFactory(account=account)])
    with django_assert_max_num_queries(len(one.captured_queries)):
        contact_client.get(reverse("quotes:orders"))


def test_the_quotes_menu_leads_to_the_orders(contact_client):
    page = contact_client.get(reverse("quotes:list")).content.decode()
    assert f'href="{reverse("quotes:orders")}"' in page


def test_an_accepted_quote_links_to_its_order(contact_client, account, contact):
    quote = SubmittedQuoteFactory(account=account)
    order = placed_order(account, contact, [quote])
    page = contact_client.get(reverse("quotes:detail", kwargs={"pk": quote.pk})).content.decode()
    assert f'href="{reverse("quotes:orders")}#order-{order.number}"' in page


def test_it_sends_a_signed_out_visitor_to_sign_in(client, db):
    assert client.get(reverse("quotes:orders")).status_code == 302


@pytest.mark.parametrize(("language", "receipt"), [("en", "Receipt"), ("de", "Quittung")])
def test_rows_are_formatted_in_the_active_language_and_zone(account, contact, language, receipt):
    quotes = sorted([SubmittedQuoteFactory(account=account), SubmittedQuoteFactory(account=account)], key=str)
    order = placed_order(account, contact, quotes)

    with translation.override(language), timezone.override(ZoneInfo("Asia/Tokyo")):
        [row] = selectors.order_rows(selectors.service_orders_for_account(account=account))
        placed, total = date_format(timezone.localtime(order.placed_at), "DATETIME_FORMAT"), money(order.total, "USD")

    assert (row.number, row.placed, row.total) == (order.number, placed, total)
    assert row.quotes == sorted((quote.number, reverse("quotes:detail", kwargs={"pk": quote.pk})) for quote in quotes)
    assert row.receipt_label == f"{receipt} {order.receipt_number} (PDF)"
    assert row.receipt_url == reverse("quotes:order_receipt_pdf", kwargs={"pk": order.pk})
