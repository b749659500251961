"""The way to a placed service order: the step indicator and the breadcrumb on each of its pages."""

import re

import pytest
from django.urls import reverse

from quotes import services
from quotes.models import ServiceOrder

from .factories import SubmittedQuoteFactory
from .helpers import draft_order
from .test_checkout import form_data

pytestmark = pytest.mark.django_db


def steps(page: str) -> list[tuple[str, bool]]:
    """Each step's label, and whether it is the current one."""
    block = re.search(r'<ol class="checkout-steps"[^>]*>(.*?)</ol>', page, re.S)
    if block is None:
        return []
    return [
        (label, current)
        for attrs, label in re.findall(r"<li([^>]*)>([^<]*)</li>", block.group(1))
        for current in ['aria-current="step"' in attrs]
    ]


def current_step(page: str) -> str:
    return next(label for label, current in steps(page) if current)


def breadcrumb(page: str) -> list[tuple[str, str | None]]:
    """Each crumb's text and link (None for the page itself)."""
    block = re.search(r'<ol class="breadcrumb">(.*?)</ol>', page, re.S).group(1)
    return [
        (text or here, href or None)
        for href, text, here in re.findall(r'<li[^>]*>(?:<a href="([^"]*)">([^<]*)</a>|([^<]*))</li>', block)
    ]


@pytest.fixture
def cart(account, contact):
    quotes = [SubmittedQuoteFactory(account=account) for _ in range(2)]
    services.cart_add(account=account, contact=contact, quote_ids=[q.pk for q in quotes])
    return quotes


def place(order, contact):
    return services.service_order_place(order=order, actor=contact)


def test_the_steps_are_an_ordered_list_of_four(contact_client, open_quote):
    page = contact_client.get(reverse("quotes:detail", kwargs={"pk": open_quote.pk})).content.decode()
    assert steps(page) == [("Review", True), ("Payment", False), ("Service order", False), ("Done", False)]
    assert '<ol class="checkout-steps" id="checkout-steps" aria-label="Checkout steps">' in page


def test_each_page_of_a_single_quote_marks_its_step(contact_client, account, contact, open_quote):
    payment = reverse("quotes:checkout", kwargs={"pk": open_quote.pk})
    page = contact_client.get(reverse("quotes:detail", kwargs={"pk": open_quote.pk})).content.decode()
    assert current_step(page) == "Review"
    response = contact_client.post(payment, form_data(**{"admin-admin_email": ""}))
    assert current_step(response.content.decode()) == "Payment"
    response = contact_client.post(payment, form_data())
    order = ServiceOrder.objects.get()
    assert current_step(contact_client.get(response.url).content.decode()) == "Service order"
    place(order, contact)
    confirmation = reverse("quotes:order_confirmation", kwargs={"pk": order.pk})
    assert current_step(contact_client.get(confirmation).content.decode()) == "Done"


def test_each_page_of_the_cart_marks_its_step(contact_client, contact, cart):
    assert current_step(contact_client.get(reverse("quotes:cart")).content.decode()) == "Review"
    assert current_step(contact_client.get(reverse("quotes:cart_checkout")).content.decode()) == "Payment"


def test_pages_that_start_no_checkout_show_no_steps(contact_client, account, contact, open_quote):
    assert steps(contact_client.get(reverse("quotes:cart")).content.decode()) == []  # empty
    services.quote_decline(quote=open_quote, actor=contact, comment="No")
    assert steps(contact_client.get(reverse("quotes:detail", kwargs={"pk": open_quote.pk})).content.decode()) == []


def test_the_steps_are_in_german(contact_client, open_quote):
    page = contact_client.get(
        reverse("quotes:detail", kwargs={"pk": open_quote.pk}), headers={"Accept-Language": "de"}
    ).content.decode()
    labels = [label for label, _current in steps(page)]
    assert labels[:3] == ["Überprüfen", "Zahlung", "Serviceauftrag"]


def test_the_cart_payment_breadcrumb_goes_through_the_cart(contact_client, cart):
    page = contact_client.get(reverse("quotes:cart_checkout")).content.decode()
    assert breadcrumb(page) == [
        ("Quotes", reverse("quotes:list")),
        ("Cart", reverse("quotes:cart")),
        ("Payment", None),
    ]
    assert f'<a class="btn btn-link" href="{reverse("quotes:cart")}">Back</a>' in page


def test_the_single_quote_payment_breadcrumb_names_the_quote(contact_client, open_quote):
    page = contact_client.get(reverse("quotes:checkout", kwargs={"pk": open_quote.pk})).content.decode()
    assert breadcrumb(page) == [
        ("Quotes", reverse("quotes:list")),
        (open_quote.number, reverse("quotes:detail", kwargs={"pk": open_quote.pk})),
        ("Payment", None),
    ]


def test_an_order_from_the_cart_keeps_the_cart_in_its_breadcrumb(contact_client, account, contact, cart):
    contact_client.post(reverse("quotes:cart_checkout"), form_data())
    order = ServiceOrder.objects.get()
    assert order.from_cart
    page = contact_client.get(reverse("quotes:order_review", kwargs={"pk": order.pk})).content.decode()
    assert breadcrumb(page) == [
        ("Quotes", reverse("quotes:list")),
        ("Cart", reverse("quotes:cart")),
        ("Payment", reverse("quotes:cart_checkout")),
        ("Service order", None),
    ]
    place(order, contact)
    page = contact_client.get(reverse("quotes:order_confirmation", kwargs={"pk": order.pk})).content.decode()
    assert breadcrumb(page) == [
        ("Quotes", reverse("quotes:list")),
        ("Cart", reverse("quotes:cart")),
        ("Confirmation", None),
    ]


def test_an_order_from_the_cart_of_one_quote_keeps_the_cart_too(contact_client, account, contact, open_quote):
    services.cart_add(account=account, contact=contact, quote_ids=[open_quote.pk])
    contact_client.post(reverse("quotes:cart_checkout"), form_data())
    order = ServiceOrder.objects.get()
    page = contact_client.get(reverse("quotes:order_review", kwargs={"pk": order.pk})).content.decode()
    assert [text for text, _link in breadcrumb(page)] == ["Quotes", "Cart", "Payment", "Service order"]


def test_an_order_of_one_quote_names_it_in_its_breadcrumb(contact_client, account, contact, open_quote):
    contact_client.post(reverse("quotes:checkout", kwargs={"pk": open_quote.pk}), form_data())
    order = ServiceOrder.objects.get()
    assert not order.from_cart
    quote_url = reverse("quotes:detail", kwargs={"pk": open_quote.pk})
    page = contact_client.get(reverse("quotes:order_review", kwargs={"pk": order.pk})).content.decode()
    assert breadcrumb(page) == [
        ("Quotes", reverse("quotes:list")),
        (open_quote.number, quote_url),
        ("Payment", reverse("quotes:checkout", kwargs={"pk": open_quote.pk})),
        ("Service order", None),
    ]
    place(order, contact)
    page = contact_client.get(reverse("quotes:order_confirmation", kwargs={"pk": order.pk})).content.decode()
    assert breadcrumb(page) == [
        ("Quotes", reverse("quotes:list")),
        (open_quote.number, quote_url),
        ("Confirmation", None),
    ]


def test_an_order_of_several_quotes_drafted_elsewhere_counts_as_the_carts(contact_client, account, contact, cart):
    order = draft_order(account=account, contact=contact, quotes=cart)
    page = contact_client.get(reverse("quotes:order_review", kwargs={"pk": order.pk})).content.decode()
    assert [text for text, _link in breadcrumb(page)] == ["Quotes", "Cart", "Payment", "Service order"]
