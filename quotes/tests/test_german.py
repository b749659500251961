"""German is shipped: the seeds' labels on the pages, German e-mails for German contacts."""

import pytest
from django.urls import reverse

from quotes import services

from .factories import QuoteFactory
from .helpers import emails_to

pytestmark = pytest.mark.django_db


def test_the_pages_carry_the_seeds_german_labels(contact_client, open_quote):
    headers = {"Accept-Language": "de"}
    page = contact_client.get(reverse("quotes:list"), headers=headers).content.decode()
    for label in (
        "Angebot prüfen",
        "Warenkorb ansehen",
        "In den Warenkorb",
        "Offen",
        "Angenommen",
        "Abgelehnt",
        "Abgelaufen",
    ):
        assert label in page, label
    detail = contact_client.get(
        reverse("quotes:detail", kwargs={"pk": open_quote.pk}), headers=headers
    ).content.decode()
    assert "Zur Zahlung übergehen" in detail
    assert "Angebot ablehnen" in detail
    decline = contact_client.get(
        reverse("quotes:decline", kwargs={"pk": open_quote.pk}), headers=headers
    ).content.decode()
    assert ">Senden<" in decline
    assert "Kommentare" in decline


def test_a_german_contact_gets_a_german_email(account, contact, staff):
    contact.language = "de"
    contact.save(update_fields=["language"])
    services.quote_submit(quote=QuoteFactory(account=account), actor=staff)
    [email] = emails_to(contact.email)
    assert "Neues Angebot" in email.subject
    assert "Angebot prüfen" in email.message
