"""The customer's cart of open quotes, before they become a service order."""

from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.audit import AuditAction, audit_record
from accounts.models import CompanyAccount, User

from ..models import (
    Cart,
    Quote,
)
from ._common import QuoteError, quotes_currency


def cart_get_or_create(*, account: CompanyAccount, contact: User) -> Cart:
    cart, _created = Cart.objects.get_or_create(account=account, contact=contact)
    return cart


def cart_add(*, account: CompanyAccount, contact: User, quote_ids: Iterable[int]) -> int:
    """Put the account's open quotes among `quote_ids` in the cart; returns how many are in it now."""
    with transaction.atomic():
        cart = cart_get_or_create(account=account, contact=contact)
        # Locked so that two tabs adding quotes at once cannot fill one cart with two currencies.
        cart = Cart.objects.select_for_update().get(pk=cart.pk)
        quotes = list(Quote.objects.visible_to(account).open().filter(pk__in=list(quote_ids)))
        if not quotes:
            raise QuoteError(_("Select at least one open quote."))
        held = sorted(set(cart.quotes.values_list("currency", flat=True)))
        adding = sorted({quote.currency for quote in quotes} - set(held))
        if held and adding:
            raise QuoteError(
                _(
                    "Your cart holds quotes in %(held)s. Place that order first, or remove them, to add a quote "
                    "in %(adding)s."
                )
                % {"held": ", ".join(held), "adding": ", ".join(adding)}
            )
        quotes_currency(quotes=quotes)
        already = set(cart.quotes.values_list("pk", flat=True))
        cart.quotes.add(*quotes)
        cart.save(update_fields=["updated_at"])
        added = sorted(quote.number for quote in quotes if quote.pk not in already)
        if added:
            audit_record(
                account=account,
                actor=contact,
                action=AuditAction.CART_ADD,
                target=cart,
                changes={"quotes": (None, added)},
            )
        return cart.quotes.count()


def cart_remove(*, account: CompanyAccount, contact: User, quote: Quote) -> None:
    with transaction.atomic():
        cart = cart_get_or_create(account=account, contact=contact)
        cart = Cart.objects.select_for_update().get(pk=cart.pk)
        if not cart.quotes.filter(pk=quote.pk).exists():
            return
        cart.quotes.remove(quote)
        cart.save(update_fields=["updated_at"])
        audit_record(
            account=account,
            actor=contact,
            action=AuditAction.CART_REMOVE,
            target=cart,
            changes={"quotes": ([quote.number], None)},
        )
