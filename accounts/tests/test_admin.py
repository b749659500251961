import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from post_office.models import Email

from accounts.models import AccountRequest, AuditEntry
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
