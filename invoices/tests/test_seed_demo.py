import io

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from invoices.models import Invoice, InvoiceKind, InvoiceState

pytestmark = pytest.mark.django_db


def test_it_seeds_more_than_20_issued_invoices_for_acme_and_some_for_the_others_once():
    call_command("seed_demo", stdout=io.StringIO())
    first = Invoice.objects.count()
    call_command("seed_demo", stdout=io.StringIO())

    assert Invoice.objects.count() == first
    visible = Invoice.objects.exclude(state=InvoiceState.DRAFT)
    assert visible.filter(account__number="100001").count() >= 25
    assert visible.filter(account__number="100002").exists()
    assert visible.filter(account__number="100003").exists()
    assert Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE).count() == 1
    assert Invoice.objects.filter(state=InvoiceState.DRAFT).count() == 1
    for invoice in visible:
        assert invoice.total == invoice.subtotal + invoice.tax


def test_the_staff_group_may_work_with_invoices():
    codenames = set(
        Group.objects.get(name="Corporate Account Services")
        .permissions.filter(content_type__app_label="invoices")
        .values_list("codename", flat=True)
    )

    assert {"view_invoice", "add_invoice", "change_invoice", "add_invoiceline", "change_invoiceline"} <= codenames
