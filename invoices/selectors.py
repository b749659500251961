"""Reads shared by the portal's invoice views; every one is scoped to a company account."""

from decimal import Decimal

from django.db.models import OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import CompanyAccount

from .models import Invoice, InvoiceKind, InvoiceState

LIST_LIMIT = 20


def invoice_list_for_account(*, account: CompanyAccount, limit: int = LIST_LIMIT) -> list[Invoice]:
    """The `limit` most recent issued, paid or void invoices and credit notes of the account, newest first."""
    return list(
        Invoice.objects.visible_to(account)
        .order_by("-issue_date", "-number")
        .only("pk", "number", "kind", "state", "issue_date", "due_date", "currency", "total", "account_id")[:limit]
    )


def invoice_balance_for_account(*, account: CompanyAccount) -> list[dict]:
    """Per currency, what the account owes (`open`: every unpaid issued invoice) and, of that, what is `overdue`.

    One query. Credit notes, paid and void invoices owe nothing; overdue is `Invoice.status` in SQL (past the
    due date in the current time zone, the account's on its pages).
    """
    return list(
        Invoice.objects.visible_to(account)
        .filter(kind=InvoiceKind.INVOICE, state=InvoiceState.ISSUED)
        .values("currency")
        .annotate(
            open=Sum("total"),
            overdue=Coalesce(Sum("total", filter=Q(due_date__lt=timezone.localdate())), Value(Decimal("0.00"))),
        )
        .order_by("currency")
    )


def invoice_get_for_account(*, account: CompanyAccount, pk: int, with_lines: bool = False) -> Invoice:
    """One visible invoice of the account; 404 for a draft or another account's invoice."""
    queryset = Invoice.objects.visible_to(account).select_related("corrects")
    if with_lines:
        # The page links a void invoice to the credit note that cancelled it, within the same query.
        credit_notes = Invoice.objects.visible_to(account).filter(corrects=OuterRef("pk")).order_by("issue_date")
        queryset = queryset.prefetch_related("lines").annotate(
            credit_note_pk=Subquery(credit_notes.values("pk")[:1]),
            credit_note_number=Subquery(credit_notes.values("number")[:1]),
        )
    return get_object_or_404(queryset, pk=pk)
