"""Quote transitions: staff submit and withdraw, the customer declines."""

from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.audit import AuditAction, audit_record, audited_save
from accounts.models import User
from billing_portal import documents, emails

from ..documents import QUOTE_PDF
from ..models import (
    QUOTE_VALIDITY,
    Cart,
    Quote,
    QuoteState,
)
from ._common import QuoteError, _copy, _lock_quote, _not_open_error, _quote_gross, quote_link


def quote_draft_save(*, quote: Quote, actor: User, fields: Iterable[str]) -> Quote:
    """Staff's new draft quote, or their edit of `fields` of one, saved and audited.

    An edit is saved under the quote's row lock and only while it is still a draft: a quote
    submitted since the edit form was read keeps what its customer was sent.
    """
    with transaction.atomic():
        quote.currency = quote.currency or quote.account.currency
        stored = None
        if quote.pk is not None:
            stored = _lock_quote(quote)
            if stored.state != QuoteState.DRAFT:
                raise QuoteError(
                    _("Quote %(number)s was submitted while you edited it; your changes were not saved.")
                    % {"number": stored.number}
                )
        audited_save(
            edited=quote,
            stored=stored,
            fields=[*fields, "currency"] if stored else ["state", "currency"],
            account=quote.account,
            actor=actor,
            action=AuditAction.QUOTE_DRAFT_UPDATE if stored else AuditAction.QUOTE_DRAFT_CREATE,
        )
    return quote


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
        # The tax treatment is frozen now: what the customer accepts is what is invoiced.
        treatment = account.tax_treatment
        locked.tax_category, locked.tax_rate = treatment.category, treatment.rate
        locked.save(
            update_fields=[
                "state",
                "submitted_at",
                "expires_at",
                "account_manager",
                "currency",
                "tax_category",
                "tax_rate",
            ]
        )
        audit_record(
            account=account,
            actor=actor,
            action=AuditAction.QUOTE_SUBMIT,
            target=locked,
            changes={
                "state": (QuoteState.DRAFT, QuoteState.SUBMITTED),
                "tax_category": ("", treatment.category),
                "tax_rate": (None, str(treatment.rate)),
            },
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
                "total": _quote_gross(locked),
                "link": quote_link(locked),
            },
        )
        # Rendered by a worker after commit, so that the customer's first download finds it stored.
        documents.document_prepare_later(QUOTE_PDF, locked)
    _copy(
        locked,
        quote,
        ["state", "submitted_at", "expires_at", "account_manager_id", "currency", "tax_category", "tax_rate"],
    )
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
            action=AuditAction.QUOTE_WITHDRAW,
            target=locked,
            changes={"state": (QuoteState.SUBMITTED, QuoteState.WITHDRAWN)},
        )
    _copy(locked, quote, ["state", "decided_at", "decided_by_id"])
    return quote


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
            action=AuditAction.QUOTE_DECLINE,
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
