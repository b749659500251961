"""Times in the account's time zone, with the zone named."""

import datetime
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import dateformat, timezone

from accounts.models import country_time_zone
from quotes.tests.factories import SubmittedQuoteFactory

pytestmark = pytest.mark.django_db

NOON_UTC = datetime.datetime(2030, 1, 15, 12, 0, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("country", "zone"), [("US", "America/New_York"), ("DE", "Europe/Berlin"), ("JP", "Asia/Tokyo"), ("XX", "UTC")]
)
def test_a_country_has_a_main_time_zone(country, zone):
    assert country_time_zone(country) == zone


def test_the_account_zone_defaults_from_the_country_until_staff_set_one(account):
    account.country = "DE"
    assert str(account.zone) == "Europe/Berlin"
    account.time_zone = "America/Los_Angeles"
    assert str(account.zone) == "America/Los_Angeles"


def test_the_quote_list_shows_expiry_in_the_accounts_zone_with_the_zone_named(contact_client, account):
    account.country, account.time_zone = "DE", ""
    account.save()
    quote = SubmittedQuoteFactory(account=account)
    type(quote).objects.filter(pk=quote.pk).update(
        submitted_at=NOON_UTC - datetime.timedelta(days=7), expires_at=NOON_UTC
    )
    page = contact_client.get(reverse("quotes:list")).content.decode()
    assert "Jan. 15, 2030, 1 p.m. CET" in page


def test_staff_can_set_another_zone(contact_client, account):
    account.time_zone = "America/Los_Angeles"
    account.save()
    quote = SubmittedQuoteFactory(account=account)
    type(quote).objects.filter(pk=quote.pk).update(
        submitted_at=NOON_UTC - datetime.timedelta(days=7), expires_at=NOON_UTC
    )
    page = contact_client.get(reverse("quotes:detail", kwargs={"pk": quote.pk})).content.decode()
    assert "Jan. 15, 2030, 4 a.m. PST" in page


def test_the_zone_ends_with_the_request(contact_client, account, settings):
    account.time_zone = "Asia/Tokyo"
    account.save()
    contact_client.get(reverse("quotes:list"))
    assert timezone.get_current_timezone_name() == settings.TIME_ZONE


def test_the_receipt_pdf_and_email_show_times_in_the_accounts_zone(account, contact):
    import io

    from post_office.models import Email
    from pypdf import PdfReader

    from quotes import services
    from quotes.documents import RECEIPT_PDF
    from quotes.tests.factories import SubmittedQuoteFactory
    from quotes.tests.helpers import draft_order

    account.time_zone = "America/Los_Angeles"
    account.save()
    quote = SubmittedQuoteFactory(account=account)
    order = services.service_order_place(
        order=draft_order(account=account, contact=contact, quotes=[quote]), actor=contact
    )
    local = timezone.localtime(order.placed_at, account.zone)
    # As DATETIME_FORMAT shows it, e.g. "9:05 a.m. PST", "6 p.m. PDT" (no ":00"), "noon PST".
    shown = dateformat.format(local, "P T")
    text = PdfReader(io.BytesIO(RECEIPT_PDF.render(order))).pages[0].extract_text()
    assert shown in text.replace("\n", " ")
    assert "UTC" not in text
    receipt = Email.objects.get(pk=order.receipt_email_id)
    assert shown in receipt.message and "UTC" not in receipt.message


def test_a_signed_in_page_does_not_read_the_zone_files_again(contact_client, account, monkeypatch):
    # The account's zone is asked on every signed-in page; listing the installed zones reads ~600 files.
    account.country, account.time_zone = "DE", ""
    account.save()
    assert contact_client.get(reverse("quotes:list")).status_code == 200
    listed = []
    real = zoneinfo.available_timezones
    monkeypatch.setattr(zoneinfo, "available_timezones", lambda: listed.append(1) or real())
    for _ in range(3):
        assert contact_client.get(reverse("quotes:list")).status_code == 200
    assert listed == []
    assert str(account.zone) == "Europe/Berlin"
