"""The accounts' manager and SEPA mandate are read with the accounts by the pages that show them, and only there."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from quotes.tests.factories import SubmittedQuoteFactory

pytestmark = pytest.mark.django_db

SEPA = {
    "payment_method": "sepa_debit",
    "sepa_account_holder": "Kunde GmbH",
    "sepa_iban": "DE02 1203 0000 0000 2020 51",
    "sepa_mandate_accepted": "on",
}


def _queries(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [query["sql"] for query in captured.captured_queries]


@pytest.fixture
def mandate(contact_client, account):
    account.country, account.language, account.currency = "DE", "de", "EUR"
    account.save()
    assert contact_client.post(reverse("accounts:payment_method"), SEPA).status_code == 302


@pytest.mark.parametrize("url", ["quotes:list", "quotes:cart", "invoices:list"])
def test_a_page_that_does_not_show_them_does_not_read_them(contact_client, mandate, url):
    queries = _queries(contact_client, reverse(url))
    assert not [sql for sql in queries if "accounts_sepamandate" in sql]
    accounts = [sql for sql in queries if re.match(r'SELECT .* FROM "accounts_companyaccount"', sql)]
    assert accounts and not [sql for sql in accounts if " JOIN " in sql]


@pytest.mark.parametrize("url", ["accounts:billing", "accounts:payment_method", "checkout"])
def test_the_pages_that_show_them_read_them_with_the_accounts(contact_client, account, mandate, url):
    if url == "checkout":
        url = reverse("quotes:checkout", kwargs={"pk": SubmittedQuoteFactory(account=account).pk})
    else:
        url = reverse(url)
    queries = _queries(contact_client, url)
    details = [sql for sql in queries if "accounts_sepamandate" in sql]
    assert len(details) == 1
    assert 'FROM "accounts_companyaccount"' in details[0] and "account_manager_id" in details[0]
    # The signed-in contact, then the accounts with their manager and the mandate's signer: no query of its own.
    assert len([sql for sql in queries if re.search(r'FROM "accounts_user"', sql)]) == 1
