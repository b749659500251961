import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from billing_portal import tasks
from invoices import services
from invoices.documents import INVOICE_PDF

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_contact_opens_an_invoice_and_downloads_its_pdf(signed_in_page, live_server, account):
    from decimal import Decimal

    from accounts.tests.factories import StaffFactory
    from invoices.tests.factories import draft_with_lines

    invoice = services.invoice_issue(
        invoice=draft_with_lines(account, lines=[(Decimal("4"), Decimal("25.00"), "Team plan, 4 seats")]),
        actor=StaffFactory(),
    )
    page = signed_in_page

    page.get_by_role("link", name="Invoices").click()
    page.get_by_role("link", name=invoice.number).click()
    assert page.get_by_role("heading", level=1).inner_text().startswith(f"Invoice {invoice.number}")
    print_link = page.get_by_role("link", name="Print")
    assert print_link.get_attribute("href") == f"/invoices/{invoice.pk}/pdf/?view=print"
    # The render task has not run (no worker here): the page says so at once, and offers to try again.
    page.get_by_role("link", name="Download PDF").click()
    assert page.get_by_text("This PDF is being prepared. Try again in a moment.").is_visible()
    tasks.document_prepare(INVOICE_PDF.kind, invoice.pk)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Try again").click()
    download = download_info.value

    assert download.suggested_filename == f"{invoice.number}.pdf"
    reader = PdfReader(io.BytesIO(Path(download.path()).read_bytes()))
    text = reader.pages[0].extract_text()
    assert invoice.number in text and "Team plan, 4 seats" in text


def test_staff_void_an_invoice_from_its_page(page, live_server, account, django_capture_on_commit_callbacks):
    from decimal import Decimal

    from django.contrib.auth.models import Permission

    from accounts.tests.factories import StaffFactory
    from invoices.models import InvoiceState
    from invoices.tests.factories import draft_with_lines

    staff = StaffFactory()
    staff.set_password("correct-horse-battery")
    staff.save(update_fields=["password"])
    # The staff group comes from a data migration, which an earlier transactional test may have emptied; the
    # permissions themselves are made again after every flush. Staff get what the group gives for invoices.
    staff.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="invoices", codename__in=["view_invoice", "change_invoice"])
    )
    with django_capture_on_commit_callbacks():
        invoice = services.invoice_issue(
            invoice=draft_with_lines(account, lines=[(Decimal("4"), Decimal("25.00"), "Team plan, 4 seats")]),
            actor=staff,
        )
    page.set_default_timeout(5000)
    page.goto(live_server.url + "/admin/login/")
    page.locator("#id_username").fill(staff.username)
    page.locator("#id_password").fill("correct-horse-battery")
    page.locator("#login-form [type=submit]").click()
    page.wait_for_url("**/admin/")

    page.goto(f"{live_server.url}/admin/invoices/invoice/{invoice.pk}/change/")
    assert page.get_by_role("button", name="Save").count() == 0
    assert page.get_by_role("link", name="Download PDF").is_visible()
    page.get_by_role("link", name="Void", exact=True).click()
    assert page.get_by_text(
        f"Void invoice {invoice.number}? A credit note for $100.00 is issued and e-mailed. This cannot be undone."
    ).is_visible()
    page.get_by_role("button", name="Confirm").click()

    page.wait_for_url(f"**/admin/invoices/invoice/{invoice.pk}/change/")
    assert page.get_by_text(f"Invoice {invoice.number} voided; its credit note is e-mailed.").is_visible()
    assert page.locator(".field-state .readonly").inner_text() == "Void"
    assert page.get_by_role("link", name="Void", exact=True).count() == 0
    invoice.refresh_from_db()
    assert invoice.state == InvoiceState.VOID
    assert invoice.credit_notes.count() == 1


def test_staff_saving_a_draft_that_was_issued_meanwhile_are_told_and_change_nothing(page, live_server, account):
    from decimal import Decimal

    from django.contrib.auth.models import Permission

    from accounts.tests.factories import StaffFactory
    from invoices.models import InvoiceState
    from invoices.tests.factories import draft_with_lines

    staff = StaffFactory()
    staff.set_password("correct-horse-battery")
    staff.save(update_fields=["password"])
    # What the staff group gives for invoices (see the test above for why not through the group).
    staff.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="invoices", codename__in=["view_invoice", "change_invoice"])
    )
    draft = draft_with_lines(account, lines=[(Decimal("4"), Decimal("25.00"), "Team plan, 4 seats")])
    page.set_default_timeout(5000)
    page.goto(live_server.url + "/admin/login/")
    page.locator("#id_username").fill(staff.username)
    page.locator("#id_password").fill("correct-horse-battery")
    page.locator("#login-form [type=submit]").click()
    page.wait_for_url("**/admin/")

    page.goto(f"{live_server.url}/admin/invoices/invoice/{draft.pk}/change/")
    page.get_by_role("textbox", name="Note").fill("Changed after the invoice went out")
    issued = services.invoice_issue(invoice=draft, actor=staff)  # meanwhile, in another tab
    page.get_by_role("button", name="Save", exact=True).click()

    page.wait_for_url(f"**/admin/invoices/invoice/{draft.pk}/change/")
    refusal = f"{issued.number} was issued while you edited it; your changes were not saved."
    assert page.get_by_text(refusal).is_visible()
    assert page.get_by_role("button", name="Save").count() == 0
    draft.refresh_from_db()
    assert (draft.state, draft.number, draft.note) == (InvoiceState.ISSUED, issued.number, "")
