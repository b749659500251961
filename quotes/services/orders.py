"""Service orders: the draft to review, placing it (every quote accepted, or none), admin contacts."""

import copy
import datetime
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from accounts.audit import AuditAction, audit_bulk, audit_record
from accounts.models import CompanyAccount, User
from accounts.services import MandateDetails, account_update, payment_method_update
from billing_portal import documents, emails

from ..documents import RECEIPT_EMAIL
from ..models import (
    AdminContact,
    Cart,
    Quote,
    QuoteLine,
    QuoteState,
    SeatAssignment,
    ServiceOrder,
    TermsVersion,
    lines_total,
)
from ..totals import quote_totals
from ._common import QuoteError, _not_open_error, quotes_currency


def _open_quotes(*, account: CompanyAccount, quote_ids: Iterable[int]) -> list[Quote]:
    # No lock here: a draft changes no quote; `service_order_place` checks again under the locks.
    ids = set(quote_ids)
    quotes = list(Quote.objects.visible_to(account).filter(pk__in=ids).with_totals().order_by("pk"))
    if len(quotes) != len(ids) or not quotes:
        raise QuoteError(_("Select at least one open quote."))
    now = timezone.now()
    for quote in quotes:
        if not quote.is_open_at(now):
            raise _not_open_error(quote, now)
    quotes_currency(quotes=quotes)
    return quotes


def service_order_draft_create(
    *,
    account: CompanyAccount,
    actor: User,
    quote_ids: Iterable[int],
    admin_name: str,
    admin_email: str,
    admin_phone: str = "",
    payment_values: dict | None = None,
    mandate: MandateDetails | None = None,
    address_values: dict | None = None,
    save_as_default: bool = True,
    from_cart: bool = False,
) -> ServiceOrder:
    """ "Save and Proceed to Service Order": draft the order to review, with this payment method and address.

    They become the account's own only with `save_as_default`; otherwise only the order holds them.
    A SEPA mandate accepted here is recorded either way: the debit for this order needs it.
    """
    with transaction.atomic():
        if mandate is not None and not save_as_default:
            payment_method_update(account=account, actor=actor, values={}, mandate=mandate)
        if save_as_default:
            if payment_values:
                payment_method_update(account=account, actor=actor, values=payment_values, mandate=mandate)
            if address_values:
                account_update(account=account, actor=actor, action=AuditAction.ADDRESS_UPDATE, values=address_values)
            terms = account
        else:
            terms = _account_with(account, {**(payment_values or {}), **(address_values or {})})
        quotes = _open_quotes(account=account, quote_ids=quote_ids)
        (totals,) = quote_totals(quotes)
        order = ServiceOrder.objects.create(
            account=account,
            admin_name=admin_name.strip(),
            admin_email=admin_email.strip(),
            admin_phone=admin_phone.strip(),
            payment_method=terms.payment_method,
            payment_display=str(terms.payment_method_display),
            billing_address="\n".join(terms.address_lines),
            po_number=account.po_number,
            currency=quotes[0].currency,
            subtotal=totals.net,
            tax=totals.tax,
            total=totals.gross,
            created_by=actor,
            from_cart=from_cart,
        )
        order.quotes.add(*quotes)
        audit_record(
            account=account,
            actor=actor,
            action=AuditAction.SERVICE_ORDER_DRAFT_CREATE,
            target=order,
            changes={"state": (None, ServiceOrder.State.DRAFT), "quotes": (None, [quote.number for quote in quotes])},
        )
    return order


def _account_with(account: CompanyAccount, values: dict) -> CompanyAccount:
    """An unsaved copy of the account with these billing values, for an order that does not change the account."""
    terms = copy.copy(account)
    for field, value in values.items():
        setattr(terms, field, value)
    return terms


def _already_placed(order: ServiceOrder, quotes: list[Quote]) -> ServiceOrder | None:
    """The order that already accepted every quote of this draft (placed from another tab), if any."""
    placed_ids = {quote.service_order_id for quote in quotes}
    if len(placed_ids) == 1 and None not in placed_ids and all(q.state == QuoteState.ACCEPTED for q in quotes):
        return ServiceOrder.objects.filter(
            pk=placed_ids.pop(), account_id=order.account_id, state=ServiceOrder.State.PLACED
        ).first()
    return None


# The order review warns this long before the account's purchase order expires.
PO_EXPIRY_WARNING = datetime.timedelta(days=30)


class TermsOutdatedError(QuoteError):
    """Newer terms were published after the contact read the ones they accepted."""


class PurchaseOrderExpiredError(QuoteError):
    """The account's purchase order has expired: a new one first."""


def po_expired(account: CompanyAccount, today: datetime.date) -> bool:
    return account.po_expires_on is not None and account.po_expires_on < today


def po_expires_soon(account: CompanyAccount, today: datetime.date) -> bool:
    return account.po_expires_on is not None and today <= account.po_expires_on <= today + PO_EXPIRY_WARNING


def service_order_place(*, order: ServiceOrder, actor: User, terms: TermsVersion | None = None) -> ServiceOrder:
    """ "Place Service Order": accept every quote of the order, or none, under `terms`.

    `terms` are the ones the contact read and accepted; they must still be the current ones in their
    language. Without them (the demo, a placement outside the portal) the order is placed under the
    current terms in the account's language.

    Placing an order that is already placed returns it unchanged, so a double click, a
    second tab or a resubmitted form all end on the same confirmation.
    """
    with transaction.atomic():
        locked = (
            ServiceOrder.objects.select_for_update(of=("self",))
            .select_related("account__billing_contact")
            .get(pk=order.pk)
        )
        if locked.is_placed:
            return locked
        account = locked.account
        # Lock order everywhere: service order, then company account, then quotes by id. The account
        # lock is NO KEY UPDATE so that rows referencing the account (audit entries written by the
        # expiry while it holds quote locks) can still be inserted: no deadlock with the expiry.
        account.po_expires_on = (
            CompanyAccount.objects.select_for_update(no_key=True)
            .filter(pk=account.pk)
            .values_list("po_expires_on", flat=True)
            .get()
        )
        quote_ids = sorted(locked.quotes.values_list("pk", flat=True))
        quotes = list(
            Quote.objects.select_for_update(of=("self",))
            .select_related("account_manager")
            .filter(pk__in=quote_ids)
            .order_by("pk")
        )
        if not quotes:
            raise QuoteError(_("This service order holds no quotes."))
        if quotes_currency(quotes=quotes) != locked.currency:
            raise QuoteError(_("Quotes in different currencies must be accepted one by one."))
        # `now` is read under the locks: an overdue quote is never accepted, whether or not beat ran.
        now = timezone.now()
        closed = [quote for quote in quotes if not quote.is_open_at(now)]
        if closed:
            earlier = _already_placed(locked, quotes)
            if earlier is not None:
                return earlier
            raise _not_open_error(closed[0], now)
        # The PO's expiry read under the account's lock: a PO renewed in another tab counts.
        if po_expired(account, timezone.localdate(now, timezone=account.zone)):
            raise PurchaseOrderExpiredError(
                _("Your purchase order expired on %(date)s. Enter a new purchase order before placing this order.")
                % {"date": formats.date_format(account.po_expires_on, "DATE_FORMAT")}
            )
        current = TermsVersion.objects.current(terms.language if terms else account.language, now)
        if terms is None:
            terms = current
        elif current is None or current.pk != terms.pk:
            raise TermsOutdatedError(
                _(
                    "New terms have been published since you opened this page."
                    " Please read them and place the order again."
                )
            )

        lines = list(QuoteLine.objects.filter(quote__in=quotes).select_related("product").order_by("quote_id", "id"))
        for quote in quotes:
            quote.total = lines_total(line for line in lines if line.quote_id == quote.pk)
        (totals,) = quote_totals(quotes)
        locked.subtotal, locked.tax, locked.total = totals.net, totals.tax, totals.gross
        locked.state = ServiceOrder.State.PLACED
        locked.placed_at = now
        locked.placed_by = actor
        locked.receipt_number = "R-" + locked.number.split("-", 1)[-1]
        locked.terms = terms
        locked.terms_accepted_by_name = actor.get_full_name() or actor.username
        locked.terms_accepted_at = now
        locked.save(
            update_fields=[
                *("state", "placed_at", "placed_by", "receipt_number", "subtotal", "tax", "total"),
                *("terms", "terms_accepted_by_name", "terms_accepted_at"),
            ]
        )
        audit_record(
            account=account,
            actor=actor,
            action=AuditAction.SERVICE_ORDER_PLACE,
            target=locked,
            changes={
                "state": (ServiceOrder.State.DRAFT, ServiceOrder.State.PLACED),
                "terms": (None, str(terms) if terms else None),
            },
        )
        for quote in quotes:
            quote.state = QuoteState.ACCEPTED
            quote.decided_at = now
            quote.decided_by = actor
            quote.service_order = locked
            quote.save(update_fields=["state", "decided_at", "decided_by", "service_order"])
        audit_bulk(
            model=Quote,
            account_ids={q.pk: q.account_id for q in quotes},
            actor=actor,
            action=AuditAction.QUOTE_ACCEPT,
            changes={"state": (QuoteState.SUBMITTED, QuoteState.ACCEPTED), "service_order": (None, locked.number)},
        )
        admin = _admin_contact_upsert(
            account=account, actor=actor, name=locked.admin_name, email=locked.admin_email, phone=locked.admin_phone
        )
        SeatAssignment.objects.bulk_create(
            [
                SeatAssignment(admin=admin, product_id=product_id, quote_id=quote_id, service_order=locked)
                for quote_id, product_id in dict.fromkeys((line.quote_id, line.product_id) for line in lines)
            ]
        )
        Cart.quotes.through.objects.filter(quote_id__in=quote_ids).delete()

        contact = account.billing_contact
        context = {
            "order": locked,
            "account": account,
            "quotes": quotes,
            "lines": lines,
            "totals": totals,
            "contact": contact,
            "link": settings.PORTAL_URL + reverse("quotes:order_confirmation", kwargs={"pk": locked.pk}),
        }
        # Held until the task has rendered the receipt PDF and attached it (after commit).
        locked.receipt_email = emails.queue(
            to=[contact.email], template="order-receipt", context=context, language=contact.language, hold=True
        )
        locked.save(update_fields=["receipt_email"])
        documents.held_email_queue(RECEIPT_EMAIL, locked)
        managers = {quote.account_manager_id: quote.account_manager for quote in quotes}
        for manager in managers.values():
            emails.queue(
                to=[manager.email],
                template="order-placed",
                language=manager.language,
                context={
                    **context,
                    "link": settings.PORTAL_URL + reverse("admin:quotes_serviceorder_change", args=[locked.pk]),
                },
            )
    return locked


def _admin_contact_upsert(*, account: CompanyAccount, actor: User, name: str, email: str, phone: str) -> AdminContact:
    """Create the admin contact, or update the one with the same e-mail (any letter case)."""
    # The caller holds the account's row lock: admins of one account are written one at a time.
    admin = AdminContact.objects.filter(account=account, email__iexact=email).first()
    if admin is None:
        admin = AdminContact.objects.create(account=account, name=name, email=email, phone=phone)
        audit_record(
            account=account,
            actor=actor,
            action=AuditAction.ADMIN_CONTACT_CREATE,
            target=admin,
            changes={"email": (None, email)},
        )
        return admin
    changes = {
        field: (getattr(admin, field), value)
        for field, value in (("name", name), ("phone", phone))
        if value and getattr(admin, field) != value
    }
    if changes:
        for field, (_old, new) in changes.items():
            setattr(admin, field, new)
        admin.save(update_fields=[*changes, "updated_at"])
        audit_record(
            account=account, actor=actor, action=AuditAction.ADMIN_CONTACT_UPDATE, target=admin, changes=changes
        )
    return admin
