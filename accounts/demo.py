"""Demo data for `manage.py seed_demo`: idempotent, so it can run on every start."""

from django.contrib.auth.models import Group

from .models import CompanyAccount, InvoiceRecipient, PaymentMethod, User

STAFF_PASSWORD = "staff-demo-2026"
CONTACT_PASSWORD = "demo-billing-2026"

LOGINS = [
    ("acme-billing", CONTACT_PASSWORD, "Billing contact of ACME Corporation (US)"),
    (
        "billing@globex.example",
        CONTACT_PASSWORD,
        "Billing contact of Globex GmbH (DE) and Initech Inc. (US): account switcher",
    ),
    ("admin", STAFF_PASSWORD, "Staff superuser, /admin/"),
    ("manager", STAFF_PASSWORD, "Account manager (Corporate Account Services group), /admin/"),
]


def _user(username, *, password, **fields) -> User:
    user, created = User.objects.get_or_create(username=username, defaults=fields)
    if created:
        user.set_password(password)
        user.save(update_fields=["password"])
    return user


def seed() -> dict:
    _user(
        "admin",
        password=STAFF_PASSWORD,
        email="admin@portal.example",
        first_name="Ada",
        last_name="Admin",
        is_staff=True,
        is_superuser=True,
    )
    manager = _user(
        "manager",
        password=STAFF_PASSWORD,
        email="manager@portal.example",
        first_name="Max",
        last_name="Manager",
        is_staff=True,
    )
    manager.groups.add(Group.objects.get(name="Corporate Account Services"))
    acme_contact = _user(
        "acme-billing", password=CONTACT_PASSWORD, email="billing@acme.example", first_name="Alice", last_name="Anders"
    )
    globex_contact = _user(
        "billing@globex.example",
        password=CONTACT_PASSWORD,
        email="billing@globex.example",
        first_name="Gerd",
        last_name="Gross",
        language="de",
    )
    common = {"account_manager": manager}
    acme, _ = CompanyAccount.objects.get_or_create(
        number="100001",
        defaults={
            **common,
            "name": "ACME Corporation",
            "billing_contact": acme_contact,
            "currency": "USD",
            "address_line1": "1 Market Street",
            "postal_code": "94105",
            "city": "San Francisco",
            "region": "CA",
            "country": "US",
            "phone": "+14155550100",
            "payment_method": PaymentMethod.CARD,
            "card_holder": "Alice Anders",
            "card_brand": "Visa",
            "card_last4": "4242",
            "card_exp_month": 12,
            "card_exp_year": 2030,
            "po_number": "PO-2026-0042",
        },
    )
    globex, _ = CompanyAccount.objects.get_or_create(
        number="100002",
        defaults={
            **common,
            "name": "Globex GmbH",
            "billing_contact": globex_contact,
            "currency": "EUR",
            "language": "de",
            "address_line1": "Friedrichstraße 100",
            "postal_code": "10117",
            "city": "Berlin",
            "country": "DE",
            "phone": "+493012345678",
            "payment_method": PaymentMethod.WIRE,
        },
    )
    initech, _ = CompanyAccount.objects.get_or_create(
        number="100003",
        defaults={
            **common,
            "name": "Initech Inc.",
            "billing_contact": globex_contact,
            "currency": "USD",
            "address_line1": "4120 Freidrich Lane",
            "postal_code": "78744",
            "city": "Austin",
            "region": "TX",
            "country": "US",
            "phone": "+15125550199",
            "payment_method": PaymentMethod.CHECK,
        },
    )
    InvoiceRecipient.objects.get_or_create(account=acme, email="accounts-payable@acme.example")
    return {"manager": manager, "accounts": [acme, globex, initech]}
