"""The invoice change page: a button per state change valid for the invoice, each through a confirmation page."""

import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from pypdf import PdfReader

from accounts.models import AuditEntry
from accounts.tests.factories import StaffFactory
from billing_portal import documents
from invoices import services
from invoices.documents import INVOICE_PDF
from invoices.models import Invoice, InvoiceDelivery, InvoiceState
from invoices.tests.factories import draft_with_lines

pytestmark = pytest.mark.django_db

BUTTONS = {"issue": "Issue and e-mail", "resend": "Resend", "mark_paid": "Mark paid", "void": "Void"}


@pytest.fixture
def staff_client(client, staff):
    staff.groups.add(Group.objects.get(name="Corporate Account Services"))
    client.force_login(staff)
    return client


@pytest.fixture
def viewer_client(client):
    """Staff who may look at invoices but not change them."""
    viewer = StaffFactory()
    viewer.user_permissions.add(Permission.objects.get(codename="view_invoice"))
    client.force_login(viewer)
    return client


@pytest.fixture
def paid(issued, staff):
    return services.invoice_mark_paid(invoice=issued, actor=staff)


@pytest.fixture
def void(issued, staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        return services.invoice_void(invoice=issued, actor=staff)


def _url(name, invoice):
    return reverse(f"admin:invoices_invoice_{name}", args=[invoice.pk])


def _buttons(client, invoice) -> set[str]:
    page = client.get(_url("change", invoice)).content.decode()
    return {name for name in BUTTONS if f'href="{_url(name, invoice)}"' in page}


def _audit(invoice, action):
    return AuditEntry.objects.filter(object_id=invoice.pk, content_type__model="invoice", action=action)


def test_a_draft_shows_issue_and_e_mail_only(staff_client, draft):
    assert _buttons(staff_client, draft) == {"issue"}


def test_an_issued_invoice_shows_resend_mark_paid_and_void(staff_client, issued):
    assert _buttons(staff_client, issued) == {"resend", "mark_paid", "void"}


def test_a_paid_invoice_shows_resend_only(staff_client, paid):
    assert _buttons(staff_client, paid) == {"resend"}


def test_a_void_invoice_shows_no_button_and_its_credit_note_resend_only(staff_client, void):
    assert _buttons(staff_client, void) == set()
    assert _buttons(staff_client, void.credit_notes.get()) == {"resend"}


def test_staff_who_may_not_change_invoices_see_no_button(viewer_client, issued):
    assert _buttons(viewer_client, issued) == set()


@pytest.mark.parametrize("name", BUTTONS)
def test_staff_who_may_not_change_invoices_are_refused(viewer_client, account, issued, name):
    invoice = draft_with_lines(account) if name == "issue" else issued
    assert viewer_client.get(_url(name, invoice)).status_code == 403
    assert viewer_client.post(_url(name, invoice)).status_code == 403
    invoice.refresh_from_db()
    assert invoice.state == (InvoiceState.DRAFT if name == "issue" else InvoiceState.ISSUED)


def test_the_void_confirmation_says_what_happens_and_changes_nothing(staff_client, issued):
    response = staff_client.get(_url("void", issued))

    page = response.content.decode()
    assert response.status_code == 200
    assert (
        f"Void invoice {issued.number}? A credit note for $1,499.36 is issued and e-mailed. This cannot be undone."
        in page
    )
    assert 'name="csrfmiddlewaretoken"' in page
    assert 'value="Confirm"' in page
    assert f'<a href="{_url("change", issued)}" class="button cancel-link">Cancel</a>' in page
    assert f'&rsaquo; <a href="{_url("change", issued)}">{issued.number}</a>' in page
    issued.refresh_from_db()
    assert issued.state == InvoiceState.ISSUED
    assert not issued.credit_notes.exists()


def test_confirming_void_voids_the_invoice_and_issues_its_credit_note(
    staff_client, issued, staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():
        response = staff_client.post(_url("void", issued), follow=True)

    assert response.redirect_chain == [(_url("change", issued), 302)]
    assert f"Invoice {issued.number} voided; its credit note is e-mailed." in response.content.decode()
    issued.refresh_from_db()
    assert issued.state == InvoiceState.VOID
    note = issued.credit_notes.get()
    assert note.total == -issued.total
    assert InvoiceDelivery.objects.filter(invoice=note).count() == 1
    assert _audit(issued, "invoice_void").get().actor == staff


def test_confirming_issue_issues_the_draft_and_e_mails_it(
    staff_client, draft, staff, django_capture_on_commit_callbacks
):
    assert "Issue Draft invoice #" in staff_client.get(_url("issue", draft)).content.decode()
    draft.refresh_from_db()
    assert draft.state == InvoiceState.DRAFT

    with django_capture_on_commit_callbacks():
        response = staff_client.post(_url("issue", draft), follow=True)

    draft.refresh_from_db()
    assert draft.state == InvoiceState.ISSUED
    assert f"Invoice {draft.number} issued and e-mailed." in response.content.decode()
    assert InvoiceDelivery.objects.filter(invoice=draft).count() == 1
    assert _audit(draft, "invoice_issue").get().actor == staff


def test_confirming_mark_paid_marks_it_paid(staff_client, issued, staff):
    assert (
        f"Mark invoice {issued.number} for $1,499.36 paid?"
        in staff_client.get(_url("mark_paid", issued)).content.decode()
    )
    issued.refresh_from_db()
    assert issued.state == InvoiceState.ISSUED

    response = staff_client.post(_url("mark_paid", issued), follow=True)

    issued.refresh_from_db()
    assert issued.state == InvoiceState.PAID
    assert f"Invoice {issued.number} marked paid." in response.content.decode()
    assert _audit(issued, "invoice_mark_paid").get().actor == staff


def test_confirming_resend_e_mails_it_again(staff_client, paid, staff, django_capture_on_commit_callbacks):
    assert f"E-mail {paid.number} again" in staff_client.get(_url("resend", paid)).content.decode()
    assert InvoiceDelivery.objects.filter(invoice=paid).count() == 1

    with django_capture_on_commit_callbacks():
        response = staff_client.post(_url("resend", paid), follow=True)

    assert f"{paid.number} e-mailed again." in response.content.decode()
    assert InvoiceDelivery.objects.filter(invoice=paid).count() == 2
    assert _audit(paid, "invoice_resend").get().actor == staff


def test_voiding_an_invoice_voided_meanwhile_shows_the_error_and_changes_nothing(
    staff_client, issued, staff, django_capture_on_commit_callbacks
):
    staff_client.get(_url("void", issued))
    with django_capture_on_commit_callbacks():
        services.invoice_void(invoice=issued, actor=StaffFactory())

    response = staff_client.post(_url("void", issued), follow=True)

    assert response.status_code == 200
    assert f"Only an open invoice can be voided; {issued.number} is Void." in response.content.decode()
    assert issued.credit_notes.count() == 1
    assert not _audit(issued, "invoice_void").filter(actor=staff).exists()


def test_the_confirmation_of_a_change_no_longer_possible_sends_staff_back_with_a_message(staff_client, paid):
    response = staff_client.get(_url("void", paid), follow=True)

    assert response.redirect_chain == [(_url("change", paid), 302)]
    assert f"“Void” is not possible for {paid.number} in its current state." in response.content.decode()


def test_an_unknown_invoice_is_404(staff_client):
    assert staff_client.get(reverse("admin:invoices_invoice_void", args=[999999])).status_code == 404
    assert staff_client.post(reverse("admin:invoices_invoice_void", args=[999999])).status_code == 404


def test_a_confirmation_page_needs_a_csrf_token(client, staff, issued):
    from django.test import Client

    staff.groups.add(Group.objects.get(name="Corporate Account Services"))
    checked = Client(enforce_csrf_checks=True)
    checked.force_login(staff)

    assert checked.post(_url("void", issued)).status_code == 403
    issued.refresh_from_db()
    assert issued.state == InvoiceState.ISSUED


@pytest.mark.parametrize("invoice", ["issued", "paid", "void"])
def test_an_issued_document_has_no_save_buttons_but_links_its_pdf(staff_client, request, invoice):
    invoice = request.getfixturevalue(invoice)
    page = staff_client.get(_url("change", invoice)).content.decode()

    assert 'name="_save"' not in page
    assert 'name="_continue"' not in page
    assert 'name="_addanother"' not in page
    assert f'<a href="{_url("pdf", invoice)}">Download PDF</a>' in page


def test_a_draft_keeps_its_save_buttons(staff_client, draft):
    page = staff_client.get(_url("change", draft)).content.decode()

    assert 'name="_save"' in page and 'name="_continue"' in page
    assert 'href="/admin/invoices/invoice/' + str(draft.pk) + '/pdf/"' not in page


def test_staff_download_the_stored_pdf(staff_client, issued):
    documents.document_ensure(INVOICE_PDF, pk=issued.pk)

    response = staff_client.get(_url("pdf", issued))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{issued.number}.pdf"'
    content = b"".join(response.streaming_content)
    assert issued.number in PdfReader(io.BytesIO(content)).pages[0].extract_text()


def test_a_pdf_not_stored_yet_is_queued_and_staff_are_told(
    staff_client, issued, queued, never_renders, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.get(_url("pdf", issued), follow=True)

    assert response.redirect_chain == [(_url("change", issued), 302)]
    assert "This PDF is being prepared. Try again in a moment." in response.content.decode()
    assert queued == [(INVOICE_PDF.kind, issued.pk)]


def test_a_draft_has_no_pdf(staff_client, draft):
    assert staff_client.get(_url("pdf", draft)).status_code == 404


def test_an_issued_invoice_cannot_be_deleted_but_a_draft_can(staff_client, issued, account):
    assert staff_client.post(_url("delete", issued), {"post": "yes"}).status_code == 403
    assert Invoice.objects.filter(pk=issued.pk).exists()
    other = draft_with_lines(account, lines=[(Decimal("1"), Decimal("5.00"), "Setup")])
    assert staff_client.post(_url("delete", other), {"post": "yes"}).status_code == 302
    assert not Invoice.objects.filter(pk=other.pk).exists()
