"""Every write to quotes, carts, service orders and product admins goes through these functions.

Each state transition locks the rows it changes (quotes always in order of id, so two
transactions never wait on each other in a circle), checks the state and `expires_at`
under the lock, records who changed what, and queues its e-mails in the same transaction.
"""

import copy
import json
import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from post_office.models import Email

from accounts.models import AuditEntry, CompanyAccount, User
from accounts.services import account_update, audit_record
from billing_portal import emails, pdf
from billing_portal.celery import send_on_commit
from billing_portal.money import money

from .models import (
    QUOTE_VALIDITY,
    REMINDER_BEFORE_EXPIRY,
    Cart,
    ProductAdmin,
    Quote,
    QuoteLine,
    QuoteState,
    SeatAssignment,
    ServiceOrder,
)

logger = logging.getLogger(__name__)


class QuoteError(Exception):
    """A change that the quote's or order's current state does not allow; the message is shown to the user."""


def quote_link(quote: Quote) -> str:
    return settings.PORTAL_URL + reverse("quotes:detail", kwargs={"pk": quote.pk})


def _lock_quote(quote: Quote) -> Quote:
    return Quote.objects.select_for_update(of=("self",)).select_related("account", "account_manager").get(pk=quote.pk)


def _not_open_error(quote: Quote, now: datetime) -> QuoteError:
    if quote.state == QuoteState.SUBMITTED and now >= quote.expires_at or quote.state == QuoteState.EXPIRED:
        return QuoteError(
            _("Quote %(number)s has expired. Ask your account manager for a new quote.") % {"number": quote.number}
        )
    if quote.state == QuoteState.ACCEPTED:
        return QuoteError(_("Quote %(number)s has already been accepted.") % {"number": quote.number})
    if quote.state == QuoteState.DECLINED:
        return QuoteError(_("Quote %(number)s has already been declined.") % {"number": quote.number})
    if quote.state == QuoteState.WITHDRAWN:
        return QuoteError(_("Quote %(number)s has been withdrawn.") % {"number": quote.number})
    return QuoteError(_("Quote %(number)s is not open.") % {"number": quote.number})


def quotes_currency(*, quotes: Iterable[Quote]) -> str:
    """The one currency of `quotes`: amounts in different currencies are never added up."""
    currencies = {quote.currency for quote in quotes}
    if len(currencies) != 1:
        raise QuoteError(_("Quotes in different currencies must be accepted one by one."))
    return currencies.pop()


def _quote_total(quote: Quote) -> Decimal:
    return quote.lines.aggregate(total=Sum("line_total"))["total"] or Decimal("0.00")


# Staff --------------------------------------------------------------------------


def quote_submit(*, quote: Quote, actor: User) -> Quote:
    """Open a draft quote to the customer for 7 days and e-mail the billing contact a link to it."""
    with transaction.atomic():
        locked = _lock_quote(quote)
        if locked.state != QuoteState.DRAFT:
            raise QuoteError(_("Quote %(number)s has already been submitted.") % {"number": locked.number})
        if not locked.lines.exists():
            raise QuoteError(_("Quote %(number)s has no lines.") % {"number": locked.number})
        account = locked.account
        now = timezone.now()
        locked.state = QuoteState.SUBMITTED
        locked.submitted_at = now
        locked.expires_at = now + QUOTE_VALIDITY
        locked.account_manager_id = locked.account_manager_id or account.account_manager_id
        locked.currency = locked.currency or account.currency
        locked.save(update_fields=["state", "submitted_at", "expires_at", "account_manager", "currency"])
        audit_record(
            account=account,
            actor=actor,
            action="quote_submit",
            target=locked,
            changes={"state": (QuoteState.DRAFT, QuoteState.SUBMITTED)},
        )
        contact = account.billing_contact
        emails.queue(
            to=[contact.email],
            template="quote-submitted",
            language=contact.language,
            context={
                "quote": locked,
                "account": account,
                "contact": contact,
                "total": _quote_total(locked),
                "link": quote_link(locked),
            },
        )
    _copy(locked, quote, ["state", "submitted_at", "expires_at", "account_manager_id", "currency"])
    return quote


def quote_withdraw(*, quote: Quote, actor: User) -> Quote:
    with transaction.atomic():
        locked = _lock_quote(quote)
        now = timezone.now()
        if not locked.is_open_at(now):
            raise _not_open_error(locked, now)
        locked.state = QuoteState.WITHDRAWN
        locked.decided_at = now
        locked.decided_by = actor
        locked.save(update_fields=["state", "decided_at", "decided_by"])
        audit_record(
            account=locked.account,
            actor=actor,
            action="quote_withdraw",
            target=locked,
            changes={"state": (QuoteState.SUBMITTED, QuoteState.WITHDRAWN)},
        )
    _copy(locked, quote, ["state", "decided_at", "decided_by_id"])
    return quote


def _copy(source, target, fields: Iterable[str]) -> None:
    for field in fields:
        setattr(target, field, getattr(source, field))


# Customer: decline -------------------------------------------------------------------


def quote_decline(*, quote: Quote, actor: User, comment: str) -> Quote:
    """Decline an open quote with the customer's comment; the account manager is e-mailed."""
    comment = comment.strip()
    if not comment:
        raise QuoteError(_("Tell us why you decline this quote."))
    with transaction.atomic():
        locked = _lock_quote(quote)
        now = timezone.now()
        if not locked.is_open_at(now):
            raise _not_open_error(locked, now)
        locked.state = QuoteState.DECLINED
        locked.decided_at = now
        locked.decided_by = actor
        locked.decline_comment = comment
        locked.save(update_fields=["state", "decided_at", "decided_by", "decline_comment"])
        audit_record(
            account=locked.account,
            actor=actor,
            action="quote_decline",
            target=locked,
            changes={"state": (QuoteState.SUBMITTED, QuoteState.DECLINED)},
        )
        Cart.quotes.through.objects.filter(quote_id=locked.pk).delete()
        manager = locked.account_manager
        emails.queue(
            to=[manager.email],
            template="quote-declined",
            language=manager.language,
            context={
                "quote": locked,
                "account": locked.account,
                "contact": actor,
                "comment": comment,
                "link": settings.PORTAL_URL + reverse("admin:quotes_quote_change", args=[locked.pk]),
            },
        )
    _copy(locked, quote, ["state", "decided_at", "decided_by_id", "decline_comment"])
    return quote


# Customer: cart -----------------------------------------------------------------------


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
        cart.quotes.add(*quotes)
        cart.save(update_fields=["updated_at"])
        return cart.quotes.count()


def cart_remove(*, account: CompanyAccount, contact: User, quote: Quote) -> None:
    with transaction.atomic():
        cart = cart_get_or_create(account=account, contact=contact)
        cart.quotes.remove(quote)
        cart.save(update_fields=["updated_at"])


def cart_check(*, account: CompanyAccount, contact: User) -> list[Quote]:
    """The cart's quotes, if every one of them can still be accepted ("Save Cart and Review")."""
    cart = cart_get_or_create(account=account, contact=contact)
    quotes = list(cart.quotes.visible_to(account).order_by("pk"))
    if not quotes:
        raise QuoteError(_("Your cart is empty."))
    quotes_currency(quotes=quotes)
    now = timezone.now()
    blocked = [quote for quote in quotes if not quote.is_open_at(now)]
    if blocked:
        raise QuoteError(
            _("Remove the quotes that can no longer be accepted: %(numbers)s.")
            % {"numbers": ", ".join(q.number for q in blocked)}
        )
    cart.save(update_fields=["updated_at"])
    return quotes


# Customer: service order ----------------------------------------------------------------------


def _open_quotes(*, account: CompanyAccount, quote_ids: Iterable[int]) -> list[Quote]:
    # No lock here: a draft changes no quote; `service_order_place` checks again under the locks.
    ids = set(quote_ids)
    quotes = list(Quote.objects.visible_to(account).filter(pk__in=ids).order_by("pk"))
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
    address_values: dict | None = None,
    save_as_default: bool = True,
) -> ServiceOrder:
    """ "Save and Proceed to Service Order": draft the order to review, with this payment method and address.

    They become the account's own only with `save_as_default`; otherwise only the order holds them.
    """
    with transaction.atomic():
        if save_as_default:
            if payment_values:
                account_update(account=account, actor=actor, action="payment_method_update", values=payment_values)
            if address_values:
                account_update(account=account, actor=actor, action="address_update", values=address_values)
            terms = account
        else:
            terms = _account_with(account, {**(payment_values or {}), **(address_values or {})})
        quotes = _open_quotes(account=account, quote_ids=quote_ids)
        total = QuoteLine.objects.filter(quote__in=quotes).aggregate(total=Sum("line_total"))["total"] or Decimal("0")
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
            total=money(total),
            created_by=actor,
        )
        order.quotes.add(*quotes)
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


def service_order_place(*, order: ServiceOrder, actor: User) -> ServiceOrder:
    """ "Place Service Order": accept every quote of the order, or none.

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
        CompanyAccount.objects.select_for_update(no_key=True).filter(pk=account.pk).values_list("pk", flat=True).get()
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

        lines = list(QuoteLine.objects.filter(quote__in=quotes).select_related("product").order_by("quote_id", "id"))
        locked.total = money(sum((line.line_total for line in lines), Decimal("0")))
        locked.state = ServiceOrder.State.PLACED
        locked.placed_at = now
        locked.placed_by = actor
        locked.receipt_number = "R-" + locked.number.split("-", 1)[-1]
        locked.save(update_fields=["state", "placed_at", "placed_by", "receipt_number", "total"])
        audit_record(
            account=account,
            actor=actor,
            action="service_order_place",
            target=locked,
            changes={"state": (ServiceOrder.State.DRAFT, ServiceOrder.State.PLACED)},
        )
        for quote in quotes:
            quote.state = QuoteState.ACCEPTED
            quote.decided_at = now
            quote.decided_by = actor
            quote.service_order = locked
            quote.save(update_fields=["state", "decided_at", "decided_by", "service_order"])
        _audit_bulk(
            account_ids={q.pk: q.account_id for q in quotes},
            actor=actor,
            action="quote_accept",
            changes={"state": [QuoteState.SUBMITTED, QuoteState.ACCEPTED], "service_order": [None, locked.number]},
        )
        admin = _product_admin_upsert(
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
            "contact": contact,
            "link": settings.PORTAL_URL + reverse("quotes:order_confirmation", kwargs={"pk": locked.pk}),
        }
        # Held until the task has rendered the receipt PDF and attached it (after commit).
        locked.receipt_email = emails.queue(
            to=[contact.email], template="order-receipt", context=context, language=contact.language, hold=True
        )
        locked.save(update_fields=["receipt_email"])
        from .tasks import receipt_send  # tasks import this module

        send_on_commit(receipt_send, locked.pk)  # if the broker is down, receipts_send_pending (beat) sends it
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


def _receipt_context(order: ServiceOrder) -> dict:
    quotes = list(order.accepted_quotes.order_by("pk"))
    lines = list(QuoteLine.objects.filter(quote__in=quotes).select_related("product").order_by("quote_id", "id"))
    return {
        "order": order,
        "account": order.account,
        "quotes": quotes,
        "lines": lines,
        "portal_url": settings.PORTAL_URL,
        "page_counter": pdf.counter_content(gettext("Page %(page)s of %(pages)s")),
    }


def _receipt_line_count(order: ServiceOrder) -> int:
    return QuoteLine.objects.filter(quote__service_order=order).count()


def receipt_pdf_render(order: ServiceOrder) -> bytes:
    """The receipt of a placed service order as PDF, in its account's language (not stored).

    Raises DocumentTooLarge past PDF_MAX_LINES.
    """
    pdf.check_lines(_receipt_line_count(order), document=order.receipt_number or order.number)
    language = order.account.language
    with translation.override(language):
        context = _receipt_context(order)
    return pdf.render_pdf("quotes/receipt_pdf.html", context, language=language)


def receipt_pdf_ensure(*, order_id: int, missing_file: bool = False) -> ServiceOrder:
    """The placed order with its receipt PDF stored: rendered at most once, under the order's row lock.

    `missing_file=True` (the stored name points at nothing, e.g. media lost) renders it again.
    """
    order = ServiceOrder.objects.select_related("account").get(pk=order_id)
    if order.receipt_pdf and not missing_file:
        return order
    with transaction.atomic():
        locked = ServiceOrder.objects.select_for_update(of=("self",)).select_related("account").get(pk=order_id)
        if not locked.is_placed:
            raise QuoteError(_("A service order has a receipt once it is placed."))
        if locked.receipt_pdf and missing_file and not locked.receipt_pdf.storage.exists(locked.receipt_pdf.name):
            locked.receipt_pdf = ""
        if not locked.receipt_pdf:
            locked.receipt_pdf.save(locked.receipt_filename, ContentFile(receipt_pdf_render(locked)), save=False)
            locked.save(update_fields=["receipt_pdf"])
            logger.info("Rendered the receipt of %s", locked.number)
    return locked


def receipt_pdf_stored(*, order: ServiceOrder) -> File | None:
    """The order's stored receipt PDF opened for reading, or None while it is not (or no longer) stored."""
    if not order.receipt_pdf:
        return None
    try:
        return order.receipt_pdf.open("rb")
    except FileNotFoundError:
        logger.warning("The stored receipt of %s is missing; it is rendered again by a task.", order.number)
        return None


def receipt_pdf_prepare_later(*, order: ServiceOrder) -> bool:
    """Queue the render of an order's missing receipt PDF; False if it is too long ever to be rendered."""
    if pdf.too_many_lines(_receipt_line_count(order)):
        return False
    from .tasks import receipt_pdf_prepare  # tasks import this module

    pdf.queue_render_once(receipt_pdf_prepare, order.pk)
    return True


def receipt_pdf_open(*, order: ServiceOrder) -> tuple[ServiceOrder, File]:
    """The order and its receipt PDF opened for reading, rendered first only if no file is stored."""
    order = receipt_pdf_ensure(order_id=order.pk)
    try:
        return order, order.receipt_pdf.open("rb")
    except FileNotFoundError:
        logger.warning("The stored receipt of %s is missing; rendering it again.", order.number)
        order = receipt_pdf_ensure(order_id=order.pk, missing_file=True)
        return order, order.receipt_pdf.open("rb")


def receipt_send(*, order_id: int) -> bool:
    """Attach the receipt PDF to the held receipt e-mail and let it go; a second call does nothing."""
    order = ServiceOrder.objects.get(pk=order_id)
    if (
        order.receipt_email_id is None
        or not Email.objects.filter(pk=order.receipt_email_id, scheduled_time=emails.HELD_UNTIL).exists()
    ):
        return False
    order, file = receipt_pdf_open(order=order)
    with file:
        content = file.read()
    return emails.release(order.receipt_email_id, attachments={order.receipt_filename: content})


def receipts_pending(*, older_than: timedelta = timedelta(minutes=5)) -> list[int]:
    """Placed orders whose receipt e-mail is still held (broker down, worker lost), for the beat sweep."""
    cutoff = timezone.now() - older_than
    return list(
        ServiceOrder.objects.filter(
            state=ServiceOrder.State.PLACED, placed_at__lte=cutoff, receipt_email__scheduled_time=emails.HELD_UNTIL
        ).values_list("pk", flat=True)[:200]
    )


def _product_admin_upsert(*, account: CompanyAccount, actor: User, name: str, email: str, phone: str) -> ProductAdmin:
    """Create the product admin, or update the one with the same e-mail (any letter case)."""
    # The caller holds the account's row lock: admins of one account are written one at a time.
    admin = ProductAdmin.objects.filter(account=account, email__iexact=email).first()
    if admin is None:
        admin = ProductAdmin.objects.create(account=account, name=name, email=email, phone=phone)
        audit_record(
            account=account, actor=actor, action="product_admin_create", target=admin, changes={"email": (None, email)}
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
        audit_record(account=account, actor=actor, action="product_admin_update", target=admin, changes=changes)
    return admin


def _audit_bulk(*, account_ids: dict[int, int], actor: User | None, action: str, changes: dict) -> None:
    content_type = ContentType.objects.get_for_model(Quote)
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                account_id=account_id,
                actor=actor,
                action=action,
                content_type=content_type,
                object_id=quote_id,
                changes=changes,
            )
            for quote_id, account_id in account_ids.items()
        ],
        batch_size=2000,
    )


# Beat ------------------------------------------------------------------------------------------

# The due rows are locked (skipping any another transaction holds) in an InitPlan, and the UPDATE
# then finds them by primary key: `id = ANY(ARRAY(...))` keeps the planner on the index, never a
# sequential scan of all submitted quotes. The same statement writes an audit entry for every
# expired quote from the UPDATE's RETURNING rows and answers, per account manager, how many of
# their quotes expired and which come first in the notice: 100,000 expiries never pass through Python.
_EXPIRE_SQL = """
WITH expired AS (
    UPDATE quotes_quote SET state = %(expired)s, decided_at = expires_at
    WHERE id = ANY(ARRAY(
        SELECT id FROM quotes_quote
        WHERE state = %(submitted)s AND expires_at <= %(now)s
        ORDER BY id FOR UPDATE SKIP LOCKED
    )) AND state = %(submitted)s
    RETURNING id, account_id, account_manager_id, number
), audited AS (
    INSERT INTO accounts_auditentry (account_id, actor_id, action, content_type_id, object_id, changes, created_at)
    SELECT account_id, NULL, %(action)s, %(content_type)s, id, %(changes)s::jsonb, statement_timestamp() FROM expired
), ranked AS (
    SELECT expired.id, expired.account_manager_id,
           row_number() OVER (
               PARTITION BY expired.account_manager_id ORDER BY account.name, expired.number
           ) AS position,
           count(*) OVER (PARTITION BY expired.account_manager_id) AS expired_count
    FROM expired JOIN accounts_companyaccount account ON account.id = expired.account_id
)
SELECT account_manager_id, expired_count, id FROM ranked
WHERE position <= %(listed)s ORDER BY account_manager_id, position
"""

_REMIND_SQL = """
UPDATE quotes_quote SET reminder_sent_at = %(now)s
WHERE id = ANY(ARRAY(
    SELECT id FROM quotes_quote
    WHERE state = %(submitted)s AND reminder_sent_at IS NULL AND expires_at > %(now)s AND expires_at <= %(due)s
    ORDER BY id FOR UPDATE SKIP LOCKED
)) AND state = %(submitted)s AND reminder_sent_at IS NULL
RETURNING id, account_id
"""


EXPIRY_NOTICE_LISTED = 200  # quotes named in a manager's expiry notice; the count covers the rest
_EXPIRE_CHANGES = {"state": [QuoteState.SUBMITTED, QuoteState.EXPIRED]}


def quotes_expire_due(*, now: datetime | None = None) -> int:
    """Expire every submitted quote whose `expires_at` has passed, in one statement; returns how many.

    Rows that another run (or a placing customer) holds are skipped, so two runs at once
    never expire a quote twice, and a quote being accepted right now is left to that transaction.
    Each expired quote gets an audit entry; each account manager one e-mail.
    """
    now = now or timezone.now()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                _EXPIRE_SQL,
                {
                    "expired": QuoteState.EXPIRED,
                    "submitted": QuoteState.SUBMITTED,
                    "now": now,
                    "action": "quote_expire",
                    "content_type": ContentType.objects.get_for_model(Quote).pk,
                    "changes": json.dumps(_EXPIRE_CHANGES),
                    "listed": EXPIRY_NOTICE_LISTED,
                },
            )
            notices = _expiry_notices(cursor.fetchall())
        for manager, count, quotes in notices:
            emails.queue(
                to=[manager.email],
                template="quote-expired",
                language=manager.language,
                context={"manager": manager, "quotes": quotes, "count": count},
            )
    expired = sum(count for _manager, count, _quotes in notices)
    logger.info("Expired %d quotes.", expired)
    return expired


def _expiry_notices(rows: list[tuple[int, int, int]]) -> list[tuple[User, int, list[Quote]]]:
    """(manager, how many expired, the quotes to name) from (manager id, count, quote id) rows."""
    quotes = Quote.objects.select_related("account").in_bulk([quote_id for _m, _c, quote_id in rows])
    managers = User.objects.in_bulk({manager_id for manager_id, _c, _q in rows})
    notices: dict[int, tuple[User, int, list[Quote]]] = {}
    for manager_id, count, quote_id in rows:
        notices.setdefault(manager_id, (managers[manager_id], count, []))[2].append(quotes[quote_id])
    return list(notices.values())


def quotes_remind_due(*, now: datetime | None = None) -> int:
    """E-mail billing contacts about their quotes that expire within 48 hours: once per quote."""
    now = now or timezone.now()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                _REMIND_SQL, {"submitted": QuoteState.SUBMITTED, "now": now, "due": now + REMINDER_BEFORE_EXPIRY}
            )
            rows = cursor.fetchall()
        if not rows:
            return 0
        by_account: dict[int, list[int]] = defaultdict(list)
        for quote_id, account_id in rows:
            by_account[account_id].append(quote_id)
        accounts = CompanyAccount.objects.select_related("billing_contact").in_bulk(list(by_account))
        quotes_by_id = Quote.objects.in_bulk([quote_id for quote_id, _a in rows])
        for account_id, quote_ids in by_account.items():
            account = accounts[account_id]
            contact = account.billing_contact
            quotes = sorted((quotes_by_id[pk] for pk in quote_ids), key=lambda q: q.expires_at)
            emails.queue(
                to=[contact.email],
                template="quote-reminder",
                language=contact.language,
                context={
                    "account": account,
                    "contact": contact,
                    "quotes": quotes,
                    "link": settings.PORTAL_URL + reverse("quotes:list"),
                },
            )
    return len(rows)
