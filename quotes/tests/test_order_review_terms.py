"""The order review shows the terms and the purchase order's expiry; placing needs the box ticked and a valid PO."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from quotes.models import ServiceOrder

from .factories import TermsVersionFactory
from .helpers import draft_order, emails_to, place_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(account, contact, open_quote):
    return draft_order(account=account, contact=contact, quotes=[open_quote])


def review(client, order, **headers):
    return client.get(reverse("quotes:order_review", kwargs={"pk": order.pk}), headers=headers)


def place(client, order, data):
    return client.post(reverse("quotes:order_place", kwargs={"pk": order.pk}), data)


def po_expiring(account, days):
    account.po_number = "PO-2026-0042"
    account.po_expires_on = timezone.localdate(timezone=account.zone) + datetime.timedelta(days=days)
    account.save(update_fields=["po_number", "po_expires_on"])


def test_the_review_shows_the_current_terms_in_a_focusable_region(contact_client, order, terms):
    TermsVersionFactory(language="en", version="2027-03", title="Conditions", text="First.\n\nSecond & last.")
    page = review(contact_client, order).content.decode()
    assert 'id="terms-text" tabindex="0" role="region" aria-label="Terms, version 2027-03"' in page
    assert "<p>First.</p>" in page and "<p>Second &amp; last.</p>" in page
    assert "Version 2027-03" in page
    assert "I accept the terms and place a binding order" in page
    assert 'data-requires-check="id_accept"' in page


def test_the_terms_are_shown_in_the_pages_language(contact_client, order, terms):
    page = review(contact_client, order, **{"Accept-Language": "de"}).content.decode()
    assert terms["de"].title in page
    assert f'name="terms" value="{terms["de"].pk}"' in page


def test_without_terms_in_the_pages_language_the_english_ones_are_shown(contact_client, order, terms):
    english = TermsVersionFactory(language="en", version="2027-04")
    terms["de"].delete()
    page = review(contact_client, order, **{"Accept-Language": "de"}).content.decode()
    assert f'name="terms" value="{english.pk}"' in page
    assert 'lang="en"' in page


def test_an_unticked_box_is_refused_with_a_form_error(contact_client, order, contact):
    data = place_form(order)
    del data["accept"]
    response = place(contact_client, order, data)
    assert response.status_code == 200
    assert "Tick the box to accept the terms before you place the order." in response.content.decode()
    order.refresh_from_db()
    assert order.state == ServiceOrder.State.DRAFT
    assert emails_to(contact.email) == []


def test_missing_or_unpublished_terms_are_refused_with_a_form_error(contact_client, order):
    for terms in ("", "999999", str(TermsVersionFactory(published_at=None).pk)):
        response = place(contact_client, order, {**place_form(order), "terms": terms})
        assert response.status_code == 200
        assert "The terms could not be shown." in response.content.decode(), terms
    order.refresh_from_db()
    assert order.state == ServiceOrder.State.DRAFT


def test_terms_published_meanwhile_are_shown_with_a_request_to_read_them(contact_client, order, terms):
    data = place_form(order)
    newer = TermsVersionFactory(language="en", version="2027-05", text="The newer words.")
    response = place(contact_client, order, data)
    page = response.content.decode()
    assert "New terms have been published since you opened this page." in page
    assert "The newer words." in page
    assert f'name="terms" value="{newer.pk}"' in page
    order.refresh_from_db()
    assert order.state == ServiceOrder.State.DRAFT
    # The box is to be ticked again, for the new terms.
    assert 'name="accept" id="id_accept" required>' in page


def test_placing_records_the_terms_shown(contact_client, order, terms):
    place(contact_client, order, place_form(order, language="de"))
    order.refresh_from_db()
    assert order.terms == terms["de"]


def test_the_confirmation_says_under_which_terms(contact_client, order, contact, terms):
    response = contact_client.post(
        reverse("quotes:order_place", kwargs={"pk": order.pk}), place_form(order), follow=True
    )
    page = response.content.decode()
    assert f"Accepted under terms {terms['en'].version} by" in page
    assert 'id="terms-accepted"' in page


def test_a_purchase_order_expiring_within_30_days_is_warned_of(contact_client, order, account):
    po_expiring(account, 30)
    page = review(contact_client, order).content.decode()
    assert 'id="po-warning"' in page
    assert "Your purchase order PO-2026-0042 expires on" in page
    po_expiring(account, 31)
    assert 'id="po-warning"' not in review(contact_client, order).content.decode()


def test_an_expired_purchase_order_is_shown_with_a_link_to_a_new_one(contact_client, order, account):
    po_expiring(account, -1)
    page = review(contact_client, order).content.decode()
    assert 'id="po-expired"' in page
    assert "Your purchase order expired on" in page
    assert f'href="/billing/purchase-order/?next=%2Fquotes%2Forders%2F{order.pk}%2F"' in page


def test_placing_with_an_expired_purchase_order_is_refused_with_a_form_error_and_the_link(
    contact_client, order, account, contact
):
    po_expiring(account, -1)
    response = place(contact_client, order, place_form(order))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="order-errors"' in page and "Your purchase order expired on" in page
    assert 'id="po-link"' in page
    order.refresh_from_db()
    assert order.state == ServiceOrder.State.DRAFT
    assert emails_to(contact.email) == []


def test_after_a_new_purchase_order_the_contact_comes_back_and_places(contact_client, order, account):
    po_expiring(account, -1)
    url = reverse("accounts:purchase_order") + f"?next=/quotes/orders/{order.pk}/"
    page = contact_client.get(url).content.decode()
    assert f'name="next" value="/quotes/orders/{order.pk}/"' in page
    new_date = timezone.localdate() + datetime.timedelta(days=365)
    response = contact_client.post(
        url, {"po_number": "PO-2027-0001", "po_expires_on": new_date.isoformat(), "next": f"/quotes/orders/{order.pk}/"}
    )
    assert response.url == f"/quotes/orders/{order.pk}/"
    place(contact_client, order, place_form(order))
    order.refresh_from_db()
    assert order.is_placed


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/", "javascript:alert(1)"])
def test_the_purchase_order_form_goes_nowhere_else(contact_client, next_url):
    new_date = timezone.localdate() + datetime.timedelta(days=365)
    response = contact_client.post(
        reverse("accounts:purchase_order"),
        {"po_number": "PO-2027-0001", "po_expires_on": new_date.isoformat(), "next": next_url},
    )
    assert response.url == reverse("accounts:billing")
