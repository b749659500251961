"""No staff page, list or search shows or matches a customer's e-mail address: it is where sign-in links go."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from post_office.models import Email

from accounts.audit import AuditAction, audit_record
from accounts.models import AuditEntry
from accounts.privacy import mask_email, mask_emails
from accounts.tests.factories import StaffFactory
from invoices.tests.factories import draft_with_lines

pytestmark = pytest.mark.django_db

ADDRESS = "pat.secret@acme.example"


@pytest.fixture
def member_client(client):
    member = StaffFactory(username="cas-member", email="cas-member@portal.example")
    member.groups.add(Group.objects.get(name="Corporate Account Services"))
    client.force_login(member)
    return client


@pytest.fixture
def customer(contact, account):
    contact.email = ADDRESS
    contact.save()
    audit_record(
        account=account,
        actor=contact,
        action=AuditAction.EMAIL_CHANGE,
        target=contact,
        changes={"email": ["old@acme.example", ADDRESS]},
    )
    return contact


def test_masking_keeps_the_first_letter_and_the_domain():
    assert mask_email(ADDRESS) == "p•••@acme.example"
    assert ADDRESS not in mask_emails({"email": ["old@acme.example", ADDRESS]})


@pytest.mark.parametrize("who", ["member_client", "admin_client"])
def test_no_admin_page_shows_a_customers_address(request, who, customer, account, django_capture_on_commit_callbacks):
    client = request.getfixturevalue(who)
    from invoices import services as invoice_services

    with django_capture_on_commit_callbacks():
        invoice = invoice_services.invoice_issue(invoice=draft_with_lines(account), actor=None)
    Email.objects.create(
        from_email="billing@portal.example", to=[ADDRESS], subject="Reset your password", message="link"
    )
    email = Email.objects.latest("id")
    entry = AuditEntry.objects.filter(action=AuditAction.EMAIL_CHANGE).latest("id")
    pages = [
        reverse("admin:accounts_user_changelist"),
        reverse("admin:accounts_user_change", args=[customer.pk]),
        reverse("admin:accounts_companyaccount_change", args=[account.pk]),
        reverse("admin:accounts_auditentry_changelist"),
        reverse("admin:accounts_auditentry_change", args=[entry.pk]),
        reverse("admin:post_office_email_changelist"),
        reverse("admin:post_office_email_change", args=[email.pk]),
        reverse("admin:invoices_invoice_change", args=[invoice.pk]),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert ADDRESS not in page, url
    assert "p•••@acme.example" in client.get(reverse("admin:accounts_user_change", args=[customer.pk])).content.decode()


@pytest.mark.parametrize("url_name", ["admin:accounts_user_changelist", "admin:accounts_companyaccount_changelist"])
@pytest.mark.parametrize("query", [ADDRESS, "pat.secret", "acme.example"])
def test_no_search_matches_a_customers_address(admin_client, customer, account, url_name, query):
    response = admin_client.get(reverse(url_name), {"q": query})
    assert response.context["cl"].result_count == 0


def test_the_email_log_has_no_search(admin_client, customer):
    Email.objects.create(
        from_email="billing@portal.example", to=[ADDRESS], subject="Reset your password", message="link"
    )
    response = admin_client.get(reverse("admin:post_office_email_changelist"))
    assert not response.context["cl"].search_fields


def test_staff_addresses_stay_visible(admin_client):
    staff = StaffFactory(username="colleague", email="colleague@portal.example")
    page = admin_client.get(reverse("admin:accounts_user_change", args=[staff.pk])).content.decode()
    assert "colleague@portal.example" in page
