"""Demo quotes for `manage.py seed_demo`: every state for every demo account; idempotent.

Quotes are numbered Q-<account number>-<n>, so a second run finds them and adds nothing, except
that an open demo quote which has since expired (or been accepted or declined) is added again,
dated today, so that the demo always has open quotes to accept.
The accepted quote goes through the real services (service order, admin contact, receipt), under
the demo terms in English and German (the same a fresh install's migration publishes).
"""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import CompanyAccount, User

from . import services
from .models import QUOTE_VALIDITY, Product, Quote, QuoteLine, QuoteState, TermsVersion

PRODUCTS = [
    ("RS-CORP", "Remote Support Corporate, per technician", Decimal("1440.00")),
    ("RS-UNATT", "Unattended Access, 100 endpoints", Decimal("600.00")),
    ("RS-MOBILE", "Mobile Device Support add-on", Decimal("240.00")),
    ("RS-CAM", "Camera Share add-on", Decimal("120.00")),
]

TERMS_VERSION = "2026-12"
TERMS = [
    (
        "en",
        "Terms of service",
        "Terms of service for service orders\n\n"
        "1. Placing a service order accepts the quotes it lists at the prices, seats and terms shown. "
        "The order is binding.\n\n"
        "2. Invoices are issued according to the account's billing interval and are due within 30 days.\n\n"
        "3. Licences run for the term of each quote line and renew only as the account's auto-renewal "
        "setting says.\n\n"
        "4. Your account manager answers questions about these terms before you place the order.",
    ),
    (
        "de",
        "Geschäftsbedingungen",
        "Geschäftsbedingungen für Serviceaufträge\n\n"
        "1. Mit dem Erteilen eines Serviceauftrags nehmen Sie die darin genannten Angebote zu den angezeigten "
        "Preisen, Lizenzen und Laufzeiten an. Der Auftrag ist verbindlich.\n\n"
        "2. Rechnungen werden gemäß dem Abrechnungszeitraum des Kontos gestellt und sind innerhalb von 30 Tagen "
        "fällig.\n\n"
        "3. Lizenzen laufen für die Laufzeit jeder Angebotsposition und verlängern sich nur gemäß der "
        "Einstellung zur automatischen Verlängerung des Kontos.\n\n"
        "4. Ihr Kundenbetreuer beantwortet Fragen zu diesen Bedingungen, bevor Sie den Auftrag erteilen.",
    ),
]

# (suffix, state, submitted this long ago, lines as (product index, seats, discount %))
PLAN = [
    (1, QuoteState.SUBMITTED, timedelta(hours=3), [(0, 10, "10"), (2, 10, "0")]),
    (2, QuoteState.SUBMITTED, timedelta(days=2), [(1, 5, "0")]),
    (3, QuoteState.SUBMITTED, timedelta(days=6), [(3, 25, "5")]),  # expires within a day
    (4, QuoteState.ACCEPTED, timedelta(days=3), [(0, 4, "0"), (3, 4, "0")]),
    (5, QuoteState.DECLINED, timedelta(days=4), [(0, 50, "15")]),
    (6, QuoteState.EXPIRED, timedelta(days=12), [(1, 2, "0")]),
    (7, QuoteState.WITHDRAWN, timedelta(days=5), [(2, 3, "0")]),
    (8, QuoteState.DRAFT, None, [(0, 1, "0")]),
]


def _products() -> list[Product]:
    return [Product.objects.get_or_create(sku=sku, defaults={"name": name})[0] for sku, name, _price in PRODUCTS]


def _quote(account: CompanyAccount, manager: User, number: str, state: str, ago, lines, products) -> Quote:
    now = timezone.now()
    quote = Quote(
        number=number,
        account=account,
        account_manager=manager,
        currency=account.currency,
        notes="Prices include the volume discount agreed on our last call." if number.endswith("-1") else "",
    )
    if ago is not None:
        quote.submitted_at = now - ago
        quote.expires_at = quote.submitted_at + QUOTE_VALIDITY
        # Accepted ones are submitted here and accepted below, through the services.
        quote.state = QuoteState.SUBMITTED if state == QuoteState.ACCEPTED else state
        treatment = account.tax_treatment
        quote.tax_category, quote.tax_rate = treatment.category, treatment.rate
    if state in (QuoteState.DECLINED, QuoteState.WITHDRAWN):
        quote.decided_at = quote.submitted_at + timedelta(days=1)
        quote.decided_by = account.billing_contact if state == QuoteState.DECLINED else manager
    if state == QuoteState.DECLINED:
        quote.decline_comment = "We need fewer seats this year. Could you send a quote for 30 technicians?"
    if state == QuoteState.EXPIRED:
        quote.decided_at = quote.expires_at
    quote.save()
    for index, seats, discount in lines:
        QuoteLine.objects.create(
            quote=quote,
            product=products[index],
            seats=seats,
            unit_price=PRODUCTS[index][2],
            discount_percent=Decimal(discount),
        )
    return quote


def _terms() -> None:
    for language, title, text in TERMS:
        TermsVersion.objects.get_or_create(
            language=language,
            version=TERMS_VERSION,
            defaults={"title": title, "text": text, "published_at": timezone.now()},
        )


def seed(data: dict) -> int:
    """Add the demo quotes for the accounts `accounts.demo.seed()` returned; returns how many were added."""
    _terms()
    manager, products = data["manager"], _products()
    added = 0
    for account in data["accounts"]:
        existing = set(Quote.objects.filter(account=account).values_list("number", flat=True))
        still_open = set(Quote.objects.filter(account=account).open().values_list("number", flat=True))
        for suffix, state, ago, lines in PLAN:
            number = f"Q-{account.number}-{suffix}"
            if number in existing:
                if state != QuoteState.SUBMITTED or any(n == number or n.startswith(number + "-") for n in still_open):
                    continue
                number = f"{number}-{timezone.localdate():%Y%m%d}"
                if number in existing:
                    continue
            quote = _quote(account, manager, number, state, ago, lines, products)
            if state == QuoteState.ACCEPTED:
                contact = account.billing_contact
                order = services.service_order_draft_create(
                    account=account,
                    actor=contact,
                    quote_ids=[quote.pk],
                    admin_name=contact.get_full_name() or contact.username,
                    admin_email=contact.email,
                )
                services.service_order_place(order=order, actor=contact)
            added += 1
    return added
