"""Staff in the admin cannot become a customer: no password set or seen, no e-mail redirected, no staff user changed."""

import pytest
from django import forms
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from post_office.models import Email

from accounts import services
from accounts.models import AuditEntry, User
from accounts.tests.factories import CompanyAccountFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

GROUP = "Corporate Account Services"
INLINE = "accounts-auditentry-content_type-object_id"


@pytest.fixture
def member(db):
    staff = StaffFactory(username="cas-member")
    staff.groups.add(Group.objects.get(name=GROUP))
    return staff


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


def change_url(user):
    return reverse("admin:accounts_user_change", args=[user.pk])


def post_change(client, user, **changes):
    """Post the user's change form as the client sees it, with `changes` applied (False unticks a box)."""
    form = client.get(change_url(user)).context["adminform"].form
    data = {f"{INLINE}-TOTAL_FORMS": 0, f"{INLINE}-INITIAL_FORMS": 0}
    for name, field in form.fields.items():
        value = form.initial.get(name)
        if isinstance(field, forms.BooleanField):
            value = "on" if value else None
        elif isinstance(value, (list, tuple)):
            value = [getattr(item, "pk", item) for item in value]
        if value is not None:
            data[name] = value
    for name, value in changes.items():
        if value is False:
            data.pop(name, None)
        else:
            data[name] = "on" if value is True else value
    return client.post(change_url(user), data)


@pytest.mark.parametrize("who", ["member_client", "admin_client"])
def test_nobody_in_the_admin_changes_a_customers_email(request, who, contact, account):
    client = request.getfixturevalue(who)
    answer = post_change(client, contact, email="taken-over@portal.example", first_name="Carl")
    assert answer.status_code == 302
    contact.refresh_from_db()
    assert contact.email == "billing@acme.example" and contact.first_name == "Carl"
    assert "email" not in client.get(change_url(contact)).context["adminform"].form.fields


@pytest.mark.parametrize("who", ["member_client", "admin_client"])
def test_nobody_sees_or_sets_a_customers_password(request, who, contact, account):
    client = request.getfixturevalue(who)
    before = contact.password
    page = client.get(change_url(contact))
    assert "password" not in page.context["adminform"].form.fields
    assert "password/" not in page.content.decode() and before not in page.content.decode()
    url = reverse("admin:auth_user_password_change", args=[contact.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"password1": "chosen-by-staff-1", "password2": "chosen-by-staff-1"}).status_code == 403
    contact.refresh_from_db()
    assert contact.password == before


def test_a_superuser_still_sets_a_staff_users_password(admin_client, member):
    url = reverse("admin:auth_user_password_change", args=[member.pk])
    answer = admin_client.post(
        url, {"usable_password": "true", "password1": "a-long-staff-secret-7", "password2": "a-long-staff-secret-7"}
    )
    assert answer.status_code == 302
    member.refresh_from_db()
    assert member.check_password("a-long-staff-secret-7")


def test_a_new_user_gets_no_password_of_staffs_choosing(member_client, member):
    answer = member_client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "new-contact",
            "email": "new@customer.example",
            "first_name": "Nora",
            "last_name": "New",
            "usable_password": "true",
            "password1": "chosen-by-staff-1",
            "password2": "chosen-by-staff-1",
        },
    )
    assert answer.status_code == 302
    user = User.objects.get(username="new-contact")
    assert not user.has_usable_password() and not user.check_password("chosen-by-staff-1")
    entry = AuditEntry.objects.get(action="user_create")
    assert (entry.account, entry.actor, entry.target) == (None, member, user)
    assert entry.changes["email"] == [None, "new@customer.example"]


def test_the_add_form_has_no_password_fields(member_client):
    fields = member_client.get(reverse("admin:accounts_user_add")).context["adminform"].form.fields
    assert set(fields) == {"username", "email", "first_name", "last_name"}


@pytest.fixture(params=["staff", "superuser"])
def other_staff(request):
    return StaffFactory(username=f"other-{request.param}", is_superuser=request.param == "superuser")


def test_a_group_member_sees_other_staff_read_only(member_client, other_staff):
    page = member_client.get(change_url(other_staff))
    assert page.status_code == 200 and page.context["has_change_permission"] is False


def test_a_group_member_cannot_rename_or_deactivate_staff(member_client, other_staff):
    data = {
        "username": "renamed",
        "first_name": "Evil",
        "last_name": "X",
        "email": "evil@portal.example",
        f"{INLINE}-TOTAL_FORMS": 0,
        f"{INLINE}-INITIAL_FORMS": 0,
    }  # is_active left out: unticked
    assert member_client.post(change_url(other_staff), data).status_code == 403
    other_staff.refresh_from_db()
    assert (other_staff.username, other_staff.email, other_staff.is_active) == (
        other_staff.username,
        f"{other_staff.username}@portal.example",
        True,
    )
    assert not User.objects.filter(username="renamed").exists()
    assert (
        member_client.post(reverse("admin:accounts_user_delete", args=[other_staff.pk]), {"post": "yes"}).status_code
        == 403
    )


def test_a_group_member_cannot_hand_out_rights(member_client, contact, account):
    post_change(member_client, contact, is_staff=True, is_superuser=True, groups=[Group.objects.get(name=GROUP).pk])
    contact.refresh_from_db()
    assert not contact.is_staff and not contact.is_superuser and not contact.groups.exists()


def test_a_group_member_has_no_bulk_actions_on_users(member_client, contact):
    assert member_client.get(reverse("admin:accounts_user_changelist")).context["action_form"] is None


def test_deactivating_a_contact_is_audited_on_each_of_their_accounts(member_client, member, contact, account):
    second = CompanyAccountFactory(billing_contact=contact)
    assert post_change(member_client, contact, is_active=False).status_code == 302
    contact.refresh_from_db()
    assert not contact.is_active
    entries = AuditEntry.objects.filter(action="user_update")
    assert {entry.account for entry in entries} == {account, second}
    assert all(
        entry.actor == member and entry.target == contact and entry.changes == {"is_active": [True, False]}
        for entry in entries
    )


def test_a_superuser_granting_a_role_is_audited_without_an_account(admin_client, admin_user):
    user = UserFactory(username="future-staff")
    assert post_change(admin_client, user, is_staff=True, groups=[Group.objects.get(name=GROUP).pk]).status_code == 302
    user.refresh_from_db()
    assert user.is_staff and user.groups.filter(name=GROUP).exists()
    entry = AuditEntry.objects.get(action="user_update")
    assert (entry.account, entry.actor, entry.target) == (None, admin_user, user)
    assert entry.changes == {"is_staff": [False, True], "groups": [[], [GROUP]]}


def test_a_superuser_changing_a_staff_users_email_is_audited(admin_client, member):
    assert post_change(admin_client, member, email="new-address@portal.example").status_code == 302
    member.refresh_from_db()
    assert member.email == "new-address@portal.example"
    assert AuditEntry.objects.get(action="user_update").changes == {
        "email": ["cas-member@portal.example", "new-address@portal.example"]
    }


def test_a_staff_user_who_leaves_staff_loses_their_password(admin_client, member):
    assert post_change(admin_client, member, is_staff=False).status_code == 302
    member.refresh_from_db()
    assert not member.is_staff and not member.has_usable_password()
    assert AuditEntry.objects.get(action="user_update").changes == {
        "is_staff": [True, False],
        "password": ["usable", "unusable"],
    }


def test_a_billing_contact_cannot_be_made_staff(admin_client, contact, account):
    answer = post_change(admin_client, contact, is_staff=True)
    assert answer.status_code == 200 and "is_staff" in answer.context["adminform"].form.errors
    contact.refresh_from_db()
    assert not contact.is_staff


def test_the_service_refuses_staff_what_the_admin_hides(member, contact, account):
    other = StaffFactory(username="someone-else")
    with pytest.raises(PermissionDenied):
        services.user_update(user=contact, actor=member, values={"email": "taken-over@portal.example"})
    with pytest.raises(PermissionDenied):
        services.user_update(user=contact, actor=member, values={"is_staff": True})
    with pytest.raises(PermissionDenied):
        services.user_update(user=other, actor=member, values={"is_active": False})
    contact.refresh_from_db()
    other.refresh_from_db()
    assert contact.email == "billing@acme.example" and not contact.is_staff and other.is_active
    assert not AuditEntry.objects.exists() and not Email.objects.exists()
