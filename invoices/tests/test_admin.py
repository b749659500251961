from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.models import AuditEntry
from invoices import services
from invoices.admin import InvoiceAdmin
from invoices.models import Invoice, InvoiceDelivery, InvoiceState

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:invoices_invoice_changelist")


@pytest.fixture
def staff_client(client, staff):
    staff.groups.add(Group.objects.get(name="Corporate Account Services"))
    client.force_login(staff)
    return client


def _action(client, action, *invoices):
    return client.post(
        CHANGELIST, {"action": action, "_selected_action": [invoice.pk for invoice in invoices]}, follow=True
    )


def test_staff_create_a_draft_with_lines_and_the_server_computes_the_totals(staff_client, account):
    prefix = "lines"
    response = staff_client.post(
        reverse("admin:invoices_invoice_add"),
        {
            "account": account.pk,
            "service_period_start": "2026-01-01",
            "service_period_end": "2026-12-31",
            "payment_terms_days": 30,
            "currency": "",
            "tax_rate": "19.00",
            "note": "",
            f"{prefix}-TOTAL_FORMS": 2,
            f"{prefix}-INITIAL_FORMS": 0,
            f"{prefix}-MIN_NUM_FORMS": 0,
            f"{prefix}-MAX_NUM_FORMS": 1000,
            f"{prefix}-0-position": 1,
            f"{prefix}-0-description": "Team plan",
            f"{prefix}-0-product": "TEAM",
            f"{prefix}-0-quantity": "3",
            f"{prefix}-0-unit_price": "33.33",
            f"{prefix}-1-position": 2,
            f"{prefix}-1-description": "Support",
            f"{prefix}-1-product": "",
            f"{prefix}-1-quantity": "1",
            f"{prefix}-1-unit_price": "0.01",
            "deliveries-TOTAL_FORMS": 0,
            "deliveries-INITIAL_FORMS": 0,
            "deliveries-MIN_NUM_FORMS": 0,
            "deliveries-MAX_NUM_FORMS": 0,
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    invoice = Invoice.objects.get()
    assert invoice.state == InvoiceState.DRAFT
    assert invoice.currency == "USD"
    assert (invoice.subtotal, invoice.tax, invoice.total) == (Decimal("100.00"), Decimal("19.00"), Decimal("119.00"))


def test_issue_and_email_issues_the_draft_and_queues_its_email(staff_client, draft):
    response = _action(staff_client, "issue_and_email", draft)

    draft.refresh_from_db()
    assert draft.state == InvoiceState.ISSUED
    assert InvoiceDelivery.objects.filter(invoice=draft).count() == 1
    assert "1 invoice issued and e-mailed." in response.content.decode()


def test_an_action_that_the_state_forbids_shows_an_error(staff_client, issued):
    response = _action(staff_client, "issue_and_email", issued)

    assert "Only a draft can be issued" in response.content.decode()


def test_mark_paid_resend_and_void_call_the_services(staff_client, issued, account, staff):
    from invoices import services
    from invoices.tests.factories import draft_with_lines

    other = services.invoice_issue(invoice=draft_with_lines(account), actor=staff)

    _action(staff_client, "mark_paid", issued)
    _action(staff_client, "resend_email", issued)
    _action(staff_client, "void", other)

    issued.refresh_from_db()
    other.refresh_from_db()
    assert issued.state == InvoiceState.PAID
    assert InvoiceDelivery.objects.filter(invoice=issued).count() == 2
    assert other.state == InvoiceState.VOID
    assert other.credit_notes.count() == 1


def test_issue_credit_note_corrects_a_paid_invoice(staff_client, issued, staff):
    from invoices import services

    services.invoice_mark_paid(invoice=issued, actor=staff)

    _action(staff_client, "issue_credit_note", issued)

    assert issued.credit_notes.count() == 1


def test_an_issued_invoice_is_read_only(staff_client, issued):
    url = reverse("admin:invoices_invoice_change", args=[issued.pk])
    page = staff_client.get(url).content.decode()

    assert 'name="lines-0-description"' not in page
    assert 'name="tax_rate"' not in page
    assert "Team plan, 10 seats" in page

    staff_client.post(url, {"tax_rate": "0.00", "note": "changed"})
    issued.refresh_from_db()
    assert issued.tax_rate == Decimal("19.00")
    assert issued.note == ""


def test_an_issued_invoice_cannot_be_deleted(staff_client, issued, admin_client):
    assert (
        admin_client.post(reverse("admin:invoices_invoice_delete", args=[issued.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert Invoice.objects.filter(pk=issued.pk).exists()


def test_the_changelist_filters_and_searches(staff_client, issued):
    assert issued.number in staff_client.get(CHANGELIST, {"q": issued.number}).content.decode()
    assert issued.number in staff_client.get(CHANGELIST, {"state__exact": "issued"}).content.decode()
    assert issued.number not in staff_client.get(CHANGELIST, {"state__exact": "paid"}).content.decode()


def _draft_form(invoice, *, note, quantity):
    lines = list(invoice.lines.order_by("position", "pk"))
    form = {
        "account": invoice.account_id,
        "service_period_start": "2026-01-01",
        "service_period_end": "2026-12-31",
        "payment_terms_days": 30,
        "currency": invoice.currency,
        "tax_category": invoice.tax_category,
        "tax_rate": str(invoice.tax_rate),
        "note": note,
        "lines-TOTAL_FORMS": len(lines),
        "lines-INITIAL_FORMS": len(lines),
        "lines-MIN_NUM_FORMS": 0,
        "lines-MAX_NUM_FORMS": 1000,
        "deliveries-TOTAL_FORMS": 0,
        "deliveries-INITIAL_FORMS": 0,
        "deliveries-MIN_NUM_FORMS": 0,
        "deliveries-MAX_NUM_FORMS": 0,
    }
    for index, line in enumerate(lines):
        form |= {
            f"lines-{index}-id": line.pk,
            f"lines-{index}-invoice": invoice.pk,
            f"lines-{index}-position": line.position,
            f"lines-{index}-description": line.description,
            f"lines-{index}-product": line.product,
            f"lines-{index}-quantity": str(quantity if index == 0 else line.quantity),
            f"lines-{index}-unit_price": str(line.unit_price),
        }
    return form


def test_an_edit_of_a_draft_is_saved_audited_and_totalled(staff_client, staff, draft):
    response = staff_client.post(
        reverse("admin:invoices_invoice_change", args=[draft.pk]), _draft_form(draft, note="Thank you.", quantity=20)
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    draft.refresh_from_db()
    assert draft.note == "Thank you."
    assert draft.subtotal == Decimal("20") * Decimal("120.00") + Decimal("3") * Decimal("19.99")
    entry = AuditEntry.objects.get(action="invoice_draft_update", object_id=draft.pk)
    assert entry.actor == staff and entry.changes["note"] == ["", "Thank you."]


def test_a_draft_issued_while_staff_edit_it_keeps_its_number_and_totals(staff_client, staff, draft, monkeypatch):
    form_read = Invoice.objects.get(pk=draft.pk)  # the draft as the change form showed it
    issued = services.invoice_issue(invoice=draft, actor=staff)  # then, in another tab, issued
    monkeypatch.setattr(InvoiceAdmin, "get_object", lambda self, request, object_id, from_field=None: form_read)

    response = staff_client.post(
        reverse("admin:invoices_invoice_change", args=[draft.pk]),
        _draft_form(form_read, note="changed", quantity=999),
        follow=True,
    )

    draft.refresh_from_db()
    assert (draft.state, draft.number, draft.total, draft.note) == (
        InvoiceState.ISSUED,
        issued.number,
        issued.total,
        "",
    )
    assert draft.lines.order_by("position", "pk").first().quantity == Decimal("10")
    assert f"{issued.number} was issued while you edited it" in response.content.decode()
    assert not AuditEntry.objects.filter(action="invoice_draft_update").exists()
