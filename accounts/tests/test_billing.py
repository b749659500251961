import pytest
from django.urls import reverse
from post_office.models import Email

from accounts.models import AuditEntry, InvoiceRecipient, PaymentMethod
from accounts.tests.factories import CompanyAccountFactory

pytestmark = pytest.mark.django_db


def test_it_shows_the_billing_data(contact_client, account):
    response = contact_client.get(reverse("accounts:billing"))
    body = response.content.decode()
    assert response.status_code == 200
    assert account.number in body
    assert "Request a change" in body
    assert "W-9" in body


def test_it_hides_the_w9_link_outside_the_us(contact_client, account):
    account.country = "DE"
    account.save()
    assert "W-9" not in contact_client.get(reverse("accounts:billing")).content.decode()


def test_it_requires_sign_in(client):
    response = client.get(reverse("accounts:billing"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def _count_queries(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_page_query_count_is_the_same_with_1_and_200_recipients(contact_client, account):
    url = reverse("accounts:billing")
    InvoiceRecipient.objects.create(account=account, email="r0@customer.example")
    _count_queries(contact_client, url)  # the first request fills the session cache
    one = _count_queries(contact_client, url)
    InvoiceRecipient.objects.bulk_create(
        InvoiceRecipient(account=account, email=f"r{i}@customer.example") for i in range(1, 200)
    )
    assert one == _count_queries(contact_client, url) <= 8


def test_the_page_query_count_is_the_same_with_1_and_200_accounts(contact_client, contact, account):
    url = reverse("accounts:billing")
    _count_queries(contact_client, url)
    one = _count_queries(contact_client, url)
    for _ in range(199):
        CompanyAccountFactory(billing_contact=contact, account_manager=account.account_manager)
    assert one == _count_queries(contact_client, url) <= 8


class TestPaymentMethod:
    url = reverse("accounts:payment_method")

    def test_it_stores_only_the_masked_card(self, contact_client, account):
        response = contact_client.post(
            self.url,
            {
                "payment_method": "card",
                "card_holder": "Carla Contact",
                "card_number": "4111 1111 1111 1111",
                "card_exp_month": "12",
                "card_exp_year": "2031",
                "card_cvc": "123",
            },
        )
        assert response.status_code == 302
        account.refresh_from_db()
        assert (account.payment_method, account.card_brand, account.card_last4) == ("card", "Visa", "1111")
        assert (account.card_exp_month, account.card_exp_year) == (12, 2031)
        entry = AuditEntry.objects.get(action="payment_method_update")
        assert entry.actor == account.billing_contact
        assert "4111111111111111" not in str(entry.changes)

    def test_it_rejects_a_number_failing_the_luhn_check(self, contact_client, account):
        response = contact_client.post(
            self.url,
            {
                "payment_method": "card",
                "card_holder": "Carla",
                "card_number": "4111 1111 1111 1112",
                "card_exp_month": "12",
                "card_exp_year": "2031",
                "card_cvc": "123",
            },
        )
        assert response.status_code == 200
        assert "Enter a valid card number." in response.content.decode()
        assert "4111 1111 1111 1112" not in response.content.decode()
        account.refresh_from_db()
        assert account.card_last4 == ""

    def test_it_rejects_an_expired_card(self, contact_client, account):
        response = contact_client.post(
            self.url,
            {
                "payment_method": "card",
                "card_holder": "Carla",
                "card_number": "4111111111111111",
                "card_exp_month": "1",
                "card_exp_year": "2020",
                "card_cvc": "123",
            },
        )
        assert response.status_code == 200
        account.refresh_from_db()
        assert account.payment_method == PaymentMethod.WIRE

    def test_it_masks_the_bank_account(self, contact_client, account):
        response = contact_client.post(
            self.url,
            {
                "payment_method": "direct_debit",
                "bank_account_holder": "Customer Inc.",
                "bank_routing_number": "021000021",
                "bank_account_number": "000123456789",
            },
        )
        assert response.status_code == 302
        account.refresh_from_db()
        assert account.bank_account_last4 == "6789"
        assert account.payment_method_display.endswith("6789")

    def test_switching_to_wire_clears_the_card(self, contact_client, account):
        account.payment_method, account.card_brand, account.card_last4 = "card", "Visa", "4242"
        account.save()
        contact_client.post(self.url, {"payment_method": "wire"})
        account.refresh_from_db()
        assert (account.payment_method, account.card_last4) == ("wire", "")


class TestAddress:
    url = reverse("accounts:address")

    def test_it_changes_the_address_but_not_the_country(self, contact_client, account):
        response = contact_client.post(
            self.url,
            {
                "address_line1": "2 Broad Street",
                "postal_code": "10004",
                "city": "New York",
                "region": "NY",
                "country": "DE",
            },
        )
        assert response.status_code == 302
        account.refresh_from_db()
        assert (account.address_line1, account.country) == ("2 Broad Street", "US")

    def test_it_requires_a_street(self, contact_client, account):
        response = contact_client.post(self.url, {"address_line1": "", "postal_code": "1", "city": "X"})
        assert response.status_code == 200
        assert "This field is required." in response.content.decode()


class TestPhone:
    url = reverse("accounts:phone")

    def test_it_stores_e164(self, contact_client, account):
        contact_client.post(self.url, {"phone": "(415) 555-0123"})
        account.refresh_from_db()
        assert account.phone == "+14155550123"

    def test_it_rejects_an_invalid_number(self, contact_client, account):
        response = contact_client.post(self.url, {"phone": "12"})
        assert "Enter a valid phone number" in response.content.decode()


class TestPurchaseOrder:
    url = reverse("accounts:purchase_order")

    def test_it_saves_the_po(self, contact_client, account):
        contact_client.post(self.url, {"po_number": "PO-77", "po_expires_on": "2030-12-31"})
        account.refresh_from_db()
        assert account.po_number == "PO-77"
        assert str(account.po_expires_on) == "2030-12-31"

    def test_it_rejects_a_past_expiry_date(self, contact_client, account):
        response = contact_client.post(self.url, {"po_number": "PO-77", "po_expires_on": "2001-01-01"})
        assert "cannot be in the past" in response.content.decode()
        account.refresh_from_db()
        assert account.po_number == ""

    def test_it_rejects_an_invalid_date(self, contact_client, account):
        response = contact_client.post(self.url, {"po_number": "PO-77", "po_expires_on": "2025-02-31"})
        assert response.status_code == 200
        assert "Enter a valid date." in response.content.decode()


class TestRecipients:
    def test_it_adds_a_recipient(self, contact_client, account):
        contact_client.post(reverse("accounts:recipient_add"), {"email": "ap@customer.example"})
        assert list(account.invoice_recipients.values_list("email", flat=True)) == ["ap@customer.example"]

    def test_it_refuses_a_duplicate_in_any_case(self, contact_client, account):
        InvoiceRecipient.objects.create(account=account, email="ap@customer.example")
        response = contact_client.post(reverse("accounts:recipient_add"), {"email": "AP@customer.example"})
        assert "already receives invoices" in response.content.decode()
        assert account.invoice_recipients.count() == 1

    def test_it_refuses_an_eleventh(self, contact_client, account):
        InvoiceRecipient.objects.bulk_create(
            InvoiceRecipient(account=account, email=f"r{i}@x.example") for i in range(10)
        )
        response = contact_client.post(reverse("accounts:recipient_add"), {"email": "more@x.example"})
        assert "at most 10" in response.content.decode()
        assert account.invoice_recipients.count() == 10

    @pytest.mark.parametrize(
        ("email", "existing", "error"),
        [
            ("not-an-address", 0, "Enter a valid email address."),
            ("AP@customer.example", 1, "AP@customer.example already receives invoices."),
            ("more@x.example", 10, "An account can have at most 10 invoice recipients."),
        ],
        ids=["bad address", "duplicate", "over the limit"],
    )
    def test_a_refused_address_is_shown_under_the_field_on_the_billing_page(
        self, contact_client, account, email, existing, error
    ):
        InvoiceRecipient.objects.bulk_create(
            InvoiceRecipient(account=account, email=address)
            for address in ["ap@customer.example", *(f"r{i}@x.example" for i in range(1, 10))][:existing]
        )
        response = contact_client.post(reverse("accounts:recipient_add"), {"email": email})
        assert response.status_code == 200
        assert [template.name for template in response.templates][0] == "accounts/billing.html"
        page = response.content.decode()
        field = page[page.index('id="div_id_email"') :].split("</form>")[0]
        assert 'aria-invalid="true"' in field and 'class="invalid-feedback"' in field and error in field
        assert f'value="{email}"' in field
        for section in ["payment-heading", "address-heading", "po-heading", "contact-heading", "subscription-heading"]:
            assert f'id="{section}"' in page
        assert account.invoice_recipients.count() == existing

    def test_adding_rejects_get(self, contact_client, account):
        assert contact_client.get(reverse("accounts:recipient_add")).status_code == 405

    def test_it_removes_a_recipient(self, contact_client, account):
        recipient = InvoiceRecipient.objects.create(account=account, email="ap@customer.example")
        response = contact_client.post(reverse("accounts:recipient_remove", args=[recipient.pk]))
        assert response.status_code == 302
        assert not account.invoice_recipients.exists()
        assert AuditEntry.objects.filter(action="invoice_recipient_remove").exists()

    def test_removing_rejects_get(self, contact_client, account):
        recipient = InvoiceRecipient.objects.create(account=account, email="ap@customer.example")
        assert contact_client.get(reverse("accounts:recipient_remove", args=[recipient.pk])).status_code == 405

    def test_removing_another_accounts_recipient_is_404(self, contact_client, other_account):
        recipient = InvoiceRecipient.objects.create(account=other_account, email="ap@other.example")
        assert contact_client.post(reverse("accounts:recipient_remove", args=[recipient.pk])).status_code == 404
        assert InvoiceRecipient.objects.filter(pk=recipient.pk).exists()


class TestRequests:
    def test_it_files_a_request_and_emails_account_services(self, contact_client, account, settings):
        response = contact_client.post(
            reverse("accounts:request_new"), {"kind": "auto_renewal", "message": "Please turn it off."}
        )
        assert response.status_code == 302
        request = account.requests.get()
        assert (request.kind, request.contact) == ("auto_renewal", account.billing_contact)
        email = Email.objects.get(to=[settings.CAS_EMAIL])
        assert "Please turn it off." in email.message

    def test_it_requires_a_message(self, contact_client, account):
        response = contact_client.post(reverse("accounts:request_new"), {"kind": "other", "message": ""})
        assert response.status_code == 200
        assert not account.requests.exists()
        assert not Email.objects.exists()


class TestAccountSwitch:
    def test_it_switches_to_another_account_of_the_contact(self, contact_client, contact, account):
        second = CompanyAccountFactory(billing_contact=contact, name="Second Co")
        contact_client.post(reverse("accounts:switch"), {"account": second.pk})
        assert second.number in contact_client.get(reverse("accounts:billing")).content.decode()

    def test_it_is_404_for_an_account_of_someone_else(self, contact_client, other_account):
        assert contact_client.post(reverse("accounts:switch"), {"account": other_account.pk}).status_code == 404


class TestRequestLimits:
    def post(self, client, address="192.0.2.1"):
        return client.post(
            reverse("accounts:request_new"), {"kind": "other", "message": "Please call me."}, REMOTE_ADDR=address
        )

    def test_an_account_sends_at_most_five_requests_an_hour(self, contact_client, account, settings):
        from post_office.models import Email

        assert settings.REQUEST_LIMIT_PER_ACCOUNT == 5
        for number in range(5):
            assert self.post(contact_client, address=f"192.0.2.{number}").status_code == 302
        response = self.post(contact_client, address="192.0.2.99")
        assert response.status_code == 200
        assert "Too many requests were sent in the last hour" in response.content.decode()
        assert account.requests.count() == 5
        assert Email.objects.filter(to=[settings.CAS_EMAIL]).count() == 5

    def test_an_address_sends_at_most_the_address_limit_an_hour(self, contact_client, account, settings):
        settings.REQUEST_LIMIT_PER_ADDRESS = 2
        assert self.post(contact_client).status_code == 302
        assert self.post(contact_client).status_code == 302
        response = self.post(contact_client)
        assert "Too many requests were sent in the last hour" in response.content.decode()
        assert account.requests.count() == 2
        assert self.post(contact_client, address="198.51.100.7").status_code == 302

    def test_requests_older_than_an_hour_do_not_count(self, contact_client, account):
        from datetime import timedelta

        from django.utils import timezone

        for _ in range(5):
            self.post(contact_client)
        account.requests.update(created_at=timezone.now() - timedelta(minutes=61))
        assert self.post(contact_client, address="192.0.2.50").status_code == 302
