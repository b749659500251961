"""The e-mail log as Corporate Account Services sees it: who got what and when, never a body or a sign-in link."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from post_office.models import STATUS, Email

from accounts.models import AuditEntry
from accounts.privacy import mask_email
from accounts.services import password_reset_request
from accounts.tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:post_office_email_changelist"


def staff_client_with(client_class, *, group=True, permissions=()):
    staff = StaffFactory()
    if group:
        staff.groups.add(Group.objects.get(name="Corporate Account Services"))
    staff.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="post_office", codename__in=permissions)
    )
    client = client_class()
    client.force_login(staff)
    return client, staff


@pytest.fixture
def group_client(client):
    return staff_client_with(client.__class__)[0]


@pytest.fixture
def view_only_client(client):
    return staff_client_with(client.__class__, group=False, permissions=["view_email"])[0]


@pytest.fixture
def reset_email(contact, account) -> Email:
    password_reset_request(user=contact)
    return Email.objects.get()


def failed(email: Email) -> Email:
    Email.objects.filter(pk=email.pk).update(status=STATUS.failed)
    email.refresh_from_db()
    return email


PROBES = [
    "message__contains",
    "message__icontains",
    "message__regex",
    "message__startswith",
    "html_message__contains",
    "subject__contains",
    "headers__icontains",
    "context__icontains",
    "from_email__contains",
    "logs__message__contains",
    "template__content__contains",
    "attachments__name__contains",
]


@pytest.mark.parametrize("lookup", PROBES)
@pytest.mark.parametrize("who", ["group_client", "view_only_client", "admin_client"])
def test_a_query_string_probe_on_any_other_field_is_refused(request, who, lookup, reset_email):
    client = request.getfixturevalue(who)
    hit = client.get(reverse(CHANGELIST), {lookup: "password-reset"})
    miss = client.get(reverse(CHANGELIST), {lookup: "no-such-text"})
    assert hit.status_code == miss.status_code == 400
    assert hit.content == miss.content


def test_the_list_filters_still_work(group_client, reset_email):
    sent = group_client.get(reverse(CHANGELIST), {"status__exact": STATUS.sent})
    queued = group_client.get(
        reverse(CHANGELIST), {"status__exact": STATUS.queued, "created__gte": "2000-01-01 00:00:00+00:00"}
    )
    assert sent.status_code == queued.status_code == 200
    assert (sent.context["cl"].result_count, queued.context["cl"].result_count) == (0, 1)


def test_the_log_has_no_search_to_probe(group_client, contact, reset_email):
    # Not even on recipients: a match would confirm a guessed customer address.
    response = group_client.get(reverse(CHANGELIST), {"q": contact.email})
    assert not response.context["cl"].search_fields
    assert contact.email not in response.content.decode()


def test_the_list_is_ordered_only_by_the_columns_shown(group_client, reset_email):
    columns = len(group_client.get(reverse(CHANGELIST)).context["cl"].list_display)
    for index in range(columns + 2):
        for sign in ("", "-"):
            ordering = (
                group_client.get(reverse(CHANGELIST), {"o": f"{sign}{index}"}).context["cl"].queryset.query.order_by
            )
            assert {field.lstrip("-") for field in ordering} <= {"to", "status", "created", "last_updated", "pk", "id"}


@pytest.mark.parametrize("who", ["group_client", "admin_client"])
def test_the_change_page_shows_recipient_subject_status_and_time_only(request, who, contact, reset_email):
    page = request.getfixturevalue(who).get(reverse("admin:post_office_email_change", args=[reset_email.pk]))
    html = page.content.decode()
    assert mask_email(contact.email) in html and reset_email.subject in html
    assert contact.email not in html
    assert "/password-reset/" not in html and "Mail Body" not in html
    assert not any(inline.opts.model.__name__ != "Log" for inline in page.context["inline_admin_formsets"])


@pytest.mark.parametrize("who", ["group_client", "admin_client"])
@pytest.mark.parametrize("view", ["post_office_email_preview", "resend"])
def test_the_preview_and_resend_views_are_refused(request, who, reset_email, view):
    assert request.getfixturevalue(who).get(reverse(f"admin:{view}", args=[reset_email.pk])).status_code == 403


def test_attachments_are_not_shown_to_the_group(group_client):
    assert group_client.get(reverse("admin:post_office_attachment_changelist")).status_code == 403


def test_the_autocomplete_cannot_search_the_log(group_client, contact, reset_email):
    answer = group_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "post_office", "model_name": "attachment", "field_name": "emails", "term": contact.email},
    )
    assert answer.status_code in (403, 404)
    assert contact.email not in answer.content.decode()


def test_the_delivery_log_refuses_a_probe_through_the_email(group_client, reset_email):
    reset_email.logs.create(status=STATUS.sent)
    answer = group_client.get(
        reverse("admin:post_office_log_changelist"), {"email__message__contains": "password-reset"}
    )
    assert answer.status_code == 400


@pytest.mark.parametrize("who", ["group_client", "admin_client"])
def test_nobody_can_change_an_emails_recipients_or_status(request, who, reset_email):
    client = request.getfixturevalue(who)
    Email.objects.filter(pk=reset_email.pk).update(status=STATUS.sent)
    url = reverse("admin:post_office_email_change", args=[reset_email.pk])
    answer = client.post(
        url,
        {
            "from_email": reset_email.from_email,
            "to": "attacker@evil.example",
            "cc": "",
            "bcc": "",
            "priority": reset_email.priority,
            "status": STATUS.queued,
            "post_office-log-email-TOTAL_FORMS": 0,
            "post_office-log-email-INITIAL_FORMS": 0,
        },
    )
    assert answer.status_code == 403
    reset_email.refresh_from_db()
    assert reset_email.to == [reset_email.to[0]] and "attacker@evil.example" not in reset_email.to
    assert reset_email.status == STATUS.sent


def test_requeue_is_refused_with_view_rights_only(view_only_client, group_client, reset_email):
    email = failed(reset_email)
    for client in (view_only_client, group_client):
        client.post(reverse(CHANGELIST), {"action": "requeue", "_selected_action": [email.pk]})
        email.refresh_from_db()
        assert email.status == STATUS.failed
    assert not AuditEntry.objects.filter(action="email_requeue").exists()


def test_requeue_leaves_a_sent_email_alone(client, reset_email):
    changer, _staff = staff_client_with(client.__class__, permissions=["change_email"])
    Email.objects.filter(pk=reset_email.pk).update(status=STATUS.sent)
    changer.post(reverse(CHANGELIST), {"action": "requeue", "_selected_action": [reset_email.pk]})
    reset_email.refresh_from_db()
    assert reset_email.status == STATUS.sent
    assert not AuditEntry.objects.filter(action="email_requeue").exists()


def test_requeue_sends_a_failed_email_again_and_is_audited(client, reset_email):
    changer, staff = staff_client_with(client.__class__, permissions=["change_email"])
    email = failed(reset_email)
    answer = changer.post(reverse(CHANGELIST), {"action": "requeue", "_selected_action": [email.pk]})
    assert answer.status_code == 302
    email.refresh_from_db()
    assert email.status == STATUS.queued and email.to == reset_email.to
    entry = AuditEntry.objects.get(action="email_requeue")
    assert (entry.account, entry.actor, entry.target) == (None, staff, email)
    assert entry.changes == {"status": ["failed", "queued"]}


def test_the_group_may_no_longer_edit_emails_or_read_attachments():
    codenames = set(Group.objects.get(name="Corporate Account Services").permissions.values_list("codename", flat=True))
    assert "view_email" in codenames
    assert not codenames & {"change_email", "add_email", "delete_email", "view_attachment"}
