from post_office.models import Email

from quotes import services
from quotes.models import ServiceOrder, TermsVersion


def emails_to(address: str) -> list[Email]:
    return list(Email.objects.filter(to__icontains=address).order_by("id"))


def draft_order(*, account, contact, quotes, admin_email="pat@acme.example") -> ServiceOrder:
    return services.service_order_draft_create(
        account=account,
        actor=contact,
        quote_ids=[quote.pk for quote in quotes],
        admin_name="Pat Admin",
        admin_email=admin_email,
        admin_phone="+14155550123",
    )


def place_form(order: ServiceOrder, *, language: str = "en") -> dict:
    """What the order review's form sends with the box ticked: the token and the terms it showed."""
    return {"token": order.token, "terms": TermsVersion.objects.current(language).pk, "accept": "on"}
