import pytest
from django.urls import reverse

from invoices.tests.factories import InvoiceFactory, IssuedInvoiceFactory

pytestmark = pytest.mark.django_db


def test_it_shows_the_invoice_with_its_lines_and_totals(contact_client, issued):
    page = contact_client.get(reverse("invoices:detail", args=[issued.pk])).content.decode()

    assert issued.number in page
    assert "Team plan, 10 seats" in page and "Extra storage 100 GB" in page
    assert "$1,259.97" in page and "$239.39" in page and "$1,499.36" in page
    assert "PO-7788" in page
    assert "<caption" in page


def test_it_offers_print_and_download(contact_client, issued):
    page = contact_client.get(reverse("invoices:detail", args=[issued.pk])).content.decode()

    # "Print" opens the issued PDF itself, with everything the document has, not the HTML page.
    assert f'href="{reverse("invoices:pdf", args=[issued.pk])}?view=print"' in page and ">Print<" in page
    assert f'href="{reverse("invoices:pdf", args=[issued.pk])}"' in page and "Download PDF" in page
    assert "<script>" not in page.split("</head>")[1]  # no inline script under the CSP
    assert 'style="' not in page


def test_it_escapes_hostile_descriptions(contact_client, account, staff):
    from decimal import Decimal

    from invoices import services
    from invoices.tests.factories import draft_with_lines

    invoice = services.invoice_issue(
        invoice=draft_with_lines(account, lines=[(Decimal(1), Decimal(1), "<script>alert(1)</script>")]), actor=staff
    )

    page = contact_client.get(reverse("invoices:detail", args=[invoice.pk])).content.decode()

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_it_is_404_for_another_accounts_invoice(contact_client, other_account):
    invoice = IssuedInvoiceFactory(account=other_account)

    assert contact_client.get(reverse("invoices:detail", args=[invoice.pk])).status_code == 404


def test_it_is_404_for_a_draft(contact_client, account):
    invoice = InvoiceFactory(account=account)

    assert contact_client.get(reverse("invoices:detail", args=[invoice.pk])).status_code == 404


def test_it_runs_a_fixed_number_of_queries(contact_client, issued, django_assert_max_num_queries):
    contact_client.get(reverse("invoices:detail", args=[issued.pk]))

    with django_assert_max_num_queries(8):
        contact_client.get(reverse("invoices:detail", args=[issued.pk]))
