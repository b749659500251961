"""Declining a quote says which quote, over how much, and that it cannot be undone."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_decline_page_names_the_quote_and_its_total_and_warns(contact_client, open_quote):
    page = contact_client.get(reverse("quotes:decline", kwargs={"pk": open_quote.pk})).content.decode()
    assert f"You are declining quote {open_quote.number} over $600.00. This cannot be undone" in page
