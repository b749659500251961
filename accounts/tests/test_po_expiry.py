"""A purchase order about to expire: flagged on the Billing page and in the admin, and e-mailed once per date."""

import datetime
import re

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from post_office.models import Email

from accounts.models import AuditEntry
from accounts.services import po_expiry_remind
from accounts.tests.factories import CompanyAccountFactory, StaffFactory

pytestmark = pytest.mark.django_db

# Noon in New York, the zone of the factory's US accounts: 2026-03-10 there.
NOW = datetime.datetime(2026, 3, 10, 16, 0, tzinfo=datetime.UTC)
TODAY = datetime.date(2026, 3, 10)


def with_po(account, expires_on, number="PO-4711"):
    account.po_number = number
    account.po_expires_on = expires_on
    account.save(update_fields=["po_number", "po_expires_on"])
    return account


def reminders():
    return Email.objects.filter(subject__startswith="The purchase order of")


def test_it_reminds_the_billing_contact_once_per_expiry_date(account, contact):
    with_po(account, TODAY + datetime.timedelta(days=30))

    assert po_expiry_remind(now=NOW) == 1
    assert po_expiry_remind(now=NOW) == 0
    assert po_expiry_remind(now=NOW + datetime.timedelta(days=1)) == 0

    email = reminders().get()
    assert email.to == [contact.email]
    assert "PO-4711" in email.message and "April 9, 2026" in email.message
    assert reverse("accounts:purchase_order") in email.message
    account.refresh_from_db()
    assert account.po_reminder_sent_for == TODAY + datetime.timedelta(days=30)
    entry = AuditEntry.objects.get(action="po_expiry_remind")
    assert entry.account == account and entry.actor is None
    assert entry.changes == {"po_reminder_sent_for": [None, "2026-04-09"]}


def test_a_new_expiry_date_is_reminded_of_again(account):
    with_po(account, TODAY + datetime.timedelta(days=10))
    po_expiry_remind(now=NOW)

    with_po(account, TODAY + datetime.timedelta(days=20), number="PO-4712")

    assert po_expiry_remind(now=NOW) == 1
    assert reminders().count() == 2
    assert "PO-4712" in reminders().latest("id").message


def test_it_skips_accounts_without_po_far_away_or_expired(account):
    far = with_po(CompanyAccountFactory(), TODAY + datetime.timedelta(days=31))
    expired = with_po(CompanyAccountFactory(), TODAY - datetime.timedelta(days=1))
    no_number = with_po(CompanyAccountFactory(), TODAY + datetime.timedelta(days=5), number="")
    inactive = with_po(CompanyAccountFactory(is_active=False), TODAY + datetime.timedelta(days=5))

    assert po_expiry_remind(now=NOW) == 0

    assert not reminders().exists()
    for skipped in (account, far, expired, no_number, inactive):
        skipped.refresh_from_db()
        assert skipped.po_reminder_sent_for is None


def test_the_window_is_counted_in_the_accounts_own_zone():
    # 01:00 UTC on 10 March is still 9 March in New York: 31 days before, not yet due; in Berlin, 30.
    now = datetime.datetime(2026, 3, 10, 1, 0, tzinfo=datetime.UTC)
    new_york = with_po(CompanyAccountFactory(), TODAY + datetime.timedelta(days=30))
    berlin = with_po(CompanyAccountFactory(time_zone="Europe/Berlin"), TODAY + datetime.timedelta(days=30))

    assert po_expiry_remind(now=now) == 1

    assert reminders().get().to == [berlin.billing_contact.email]
    new_york.refresh_from_db()
    assert new_york.po_reminder_sent_for is None


def test_the_reminder_is_in_the_contacts_language(account, contact):
    contact.language = "de"
    contact.save(update_fields=["language"])
    with_po(account, TODAY + datetime.timedelta(days=12))

    po_expiry_remind(now=NOW)

    assert "22. März 2026" in Email.objects.get().message


def test_the_task_is_scheduled_daily(settings):
    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "accounts.tasks.po_expiry_remind")
    assert entry["schedule"] == 24 * 3600


# The Billing page ----------------------------------------------------------------------------------


def _po_alert(client) -> str:
    page = client.get(reverse("accounts:billing")).content.decode()
    match = re.search(r'id="po-expiry">(.*?)</div>', page, re.S)
    return match.group(1) if match else ""


def test_the_billing_page_flags_a_po_expiring_within_30_days(contact_client, account):
    expires_on = timezone.localdate(timezone=account.zone) + datetime.timedelta(days=12)
    with_po(account, expires_on)
    assert _po_alert(contact_client) == f"Expires in 12 days, on {date_format(expires_on)}."


def test_the_billing_page_flags_a_po_expiring_today(contact_client, account):
    with_po(account, timezone.localdate(timezone=account.zone))
    assert _po_alert(contact_client).startswith("Expires today, on ")


def test_the_billing_page_flags_an_expired_po(contact_client, account):
    expires_on = timezone.localdate(timezone=account.zone) - datetime.timedelta(days=1)
    with_po(account, expires_on)
    assert _po_alert(contact_client) == f"Expired on {date_format(expires_on)}: enter the new PO number."


@pytest.mark.parametrize("days", [31, None])
def test_the_billing_page_says_nothing_of_a_po_far_from_expiry(contact_client, account, days):
    today = timezone.localdate(timezone=account.zone)
    with_po(account, None if days is None else today + datetime.timedelta(days=days))
    assert _po_alert(contact_client) == ""


# The admin ----------------------------------------------------------------------------------------


@pytest.fixture
def staff_client(client):
    staff = StaffFactory(username="cas-staff")
    staff.groups.add(Group.objects.get(name="Corporate Account Services"))
    client.force_login(staff)
    return client


@pytest.mark.parametrize(
    ("choice", "expected"), [("expired", "EXPIRED"), ("soon", "SOON"), ("later", "LATER"), ("none", "NONE")]
)
def test_staff_filter_accounts_by_po_expiry(staff_client, choice, expected):
    today = timezone.localdate()
    for name, expires_on in [
        ("EXPIRED", today - datetime.timedelta(days=1)),
        ("SOON", today + datetime.timedelta(days=30)),
        ("LATER", today + datetime.timedelta(days=31)),
        ("NONE", None),
    ]:
        with_po(CompanyAccountFactory(name=name), expires_on)

    response = staff_client.get(reverse("admin:accounts_companyaccount_changelist"), {"po_expiry": choice})

    assert [account.name for account in response.context["cl"].result_list] == [expected]
    assert "PO expiry" in response.content.decode()
