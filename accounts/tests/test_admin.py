import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from post_office.models import Email

from accounts.models import AccountRequest, AuditEntry, InvoiceRecipient
from accounts.privacy import mask_email
from accounts.tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    staff = StaffFactory(username="cas-staff")
    staff.groups.add(Group.objects.get(name="Corporate Account Services"))
    client.force_login(staff)
    return client


@pytest.mark.parametrize("model", ["user", "companyaccount", "accountrequest", "auditentry"])
def test_staff_of_account_services_see_the_lists(staff_client, account, model):
    response = staff_client.get(reverse(f"admin:accounts_{model}_changelist"), {"q": "x"})
    assert response.status_code == 200


def test_staff_see_the_email_log(staff_client):
    assert staff_client.get(reverse("admin:post_office_email_changelist")).status_code == 200


def test_changing_billing_data_in_the_admin_is_audited(admin_client, account):
    url = reverse("admin:accounts_companyaccount_change", args=[account.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        {
            "phone": "+12125550111",
            "billing_contact": account.billing_contact_id,
            "account_manager": account.account_manager_id,
            "invoice_recipients-TOTAL_FORMS": 0,
            "invoice_recipients-INITIAL_FORMS": 0,
            "accounts-auditentry-content_type-object_id-TOTAL_FORMS": 0,
            "accounts-auditentry-content_type-object_id-INITIAL_FORMS": 0,
        }
    )
    data.pop("po_expires_on", None)
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    entry = AuditEntry.objects.get(action="admin_update")
    assert entry.changes["phone"] == ["+12125550100", "+12125550111"]


def test_staff_can_change_the_billing_contact_in_the_admin(admin_client, account):
    new = UserFactory(username="new-contact")
    url = reverse("admin:accounts_companyaccount_change", args=[account.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        {
            "billing_contact": new.pk,
            "account_manager": account.account_manager_id,
            "invoice_recipients-TOTAL_FORMS": 0,
            "invoice_recipients-INITIAL_FORMS": 0,
            "accounts-auditentry-content_type-object_id-TOTAL_FORMS": 0,
            "accounts-auditentry-content_type-object_id-INITIAL_FORMS": 0,
        }
    )
    data.pop("po_expires_on", None)
    admin_client.post(url, data)
    account.refresh_from_db()
    assert account.billing_contact == new
    assert Email.objects.filter(to=[new.email]).exists()
    assert AuditEntry.objects.filter(action="billing_contact_change").exists()


def test_staff_mark_requests_done(admin_client, account, contact):
    request = AccountRequest.objects.create(account=account, contact=contact, kind="other", message="Hi")
    admin_client.post(
        reverse("admin:accounts_accountrequest_changelist"), {"action": "mark_done", "_selected_action": [request.pk]}
    )
    request.refresh_from_db()
    assert request.status == "done"


def test_account_services_staff_cannot_hand_out_rights(staff_client, contact):
    page = staff_client.get(reverse("admin:accounts_user_change", args=[contact.pk]))
    form = page.context["adminform"].form
    assert "is_superuser" not in form.fields and "groups" not in form.fields
    assert staff_client.get(reverse("admin:auth_user_password_change", args=[contact.pk])).status_code == 403


def test_staff_see_the_email_log_but_not_the_bodies_superusers_included(staff_client, admin_client, contact, account):
    from accounts.services import password_reset_request

    password_reset_request(user=contact)
    email = Email.objects.get()
    staff_page = staff_client.get(reverse("admin:post_office_email_change", args=[email.pk])).content.decode()
    assert mask_email(contact.email) in staff_page and contact.email not in staff_page
    assert "/password-reset/" not in staff_page
    assert staff_client.get(reverse("admin:post_office_email_preview", args=[email.pk])).status_code == 403
    superuser_page = admin_client.get(reverse("admin:post_office_email_change", args=[email.pk])).content.decode()
    assert contact.email not in superuser_page and "/password-reset/" not in superuser_page


def _recipients_form(staff_client, account, recipients):
    url = reverse("admin:accounts_companyaccount_change", args=[account.pk])
    form = staff_client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.pop("po_expires_on", None)
    data |= {
        "billing_contact": account.billing_contact_id,
        "account_manager": account.account_manager_id,
        "invoice_recipients-TOTAL_FORMS": len(recipients),
        "invoice_recipients-INITIAL_FORMS": len(recipients),
        "accounts-auditentry-content_type-object_id-TOTAL_FORMS": 0,
        "accounts-auditentry-content_type-object_id-INITIAL_FORMS": 0,
    }
    for index, (recipient, email) in enumerate(recipients):
        data |= {
            f"invoice_recipients-{index}-id": recipient.pk,
            f"invoice_recipients-{index}-account": account.pk,
            f"invoice_recipients-{index}-email": email,
        }
    return url, data


def test_an_edited_recipient_that_cannot_be_added_stays_as_it_was(staff_client, account):
    ap = InvoiceRecipient.objects.create(account=account, email="ap@acme.example")
    cfo = InvoiceRecipient.objects.create(account=account, email="cfo@acme.example")
    url, data = _recipients_form(staff_client, account, [(ap, "cfo@acme.example"), (cfo, "cfo@acme.example")])
    page = staff_client.post(url, data, follow=True)
    assert "cfo@acme.example already receives invoices." in [str(message) for message in page.context["messages"]]
    assert sorted(account.invoice_recipients.values_list("email", flat=True)) == ["ap@acme.example", "cfo@acme.example"]


def test_two_recipients_can_swap_addresses(staff_client, account):
    ap = InvoiceRecipient.objects.create(account=account, email="ap@acme.example")
    cfo = InvoiceRecipient.objects.create(account=account, email="cfo@acme.example")
    url, data = _recipients_form(staff_client, account, [(ap, "cfo@acme.example"), (cfo, "ap@acme.example")])
    page = staff_client.post(url, data, follow=True)
    assert not [message for message in page.context["messages"] if message.level_tag == "error"]
    assert sorted(account.invoice_recipients.values_list("email", flat=True)) == ["ap@acme.example", "cfo@acme.example"]
    assert AuditEntry.objects.filter(action="invoice_recipient_add").count() == 2


def test_a_new_accounts_contact_is_sent_a_link_to_set_a_password(staff_client):
    contact = UserFactory(username="globex-billing", email="billing@globex.example", password=None)
    contact.set_unusable_password()
    contact.save()
    manager = StaffFactory()
    form = staff_client.get(reverse("admin:accounts_companyaccount_add")).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data |= {
        "number": "300001",
        "name": "Globex Corp.",
        "account_manager": manager.pk,
        "billing_contact": contact.pk,
        "address_line1": "1 Main Street",
        "postal_code": "10001",
        "city": "New York",
        "region": "NY",
        "country": "US",
        "phone": "+12125550100",
        "language": "en",
        "currency": "USD",
        "payment_method": "wire",
        "billing_interval": "annual",
        "invoice_recipients-TOTAL_FORMS": 0,
        "invoice_recipients-INITIAL_FORMS": 0,
        "accounts-auditentry-content_type-object_id-TOTAL_FORMS": 0,
        "accounts-auditentry-content_type-object_id-INITIAL_FORMS": 0,
    }
    response = staff_client.post(reverse("admin:accounts_companyaccount_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    entry = AuditEntry.objects.get(action="account_create")
    assert (entry.account.number, entry.actor.username) == ("300001", "cas-staff")
    [email] = Email.objects.filter(to=["billing@globex.example"])
    assert f"/password-reset/{urlsafe_base64_encode(force_bytes(contact.pk))}/" in email.message
    assert "globex-billing" in email.message
