"""Reads shared by the portal's invoice views; every one is scoped to a company account."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import formats, timezone
from django.utils.translation import ngettext

from accounts.models import CompanyAccount
from billing_portal.links import pk_link
from billing_portal.templatetags.money import money

from .models import Invoice, InvoiceKind, InvoiceState, InvoiceStatus

LIST_LIMIT = 20


def invoice_list_for_account(*, account: CompanyAccount, limit: int = LIST_LIMIT) -> list[Invoice]:
    """The `limit` most recent issued, paid or void invoices and credit notes of the account, newest first."""
    return list(
        Invoice.objects.visible_to(account)
        .order_by("-issue_date", "-number")
        .only("pk", "number", "kind", "state", "issue_date", "due_date", "currency", "total", "account_id")[:limit]
    )


@dataclass(frozen=True, slots=True)
class InvoiceRow:
    """One row of the Invoices list as the page shows it, formatted once in the active language and zone."""

    pk: int
    number: str
    detail_url: str
    pdf_url: str
    issue_date: str
    due_date: str  # empty for a credit note, which is not paid
    total: str
    amount_due: str  # empty for a credit note
    status: str
    status_label: str
    overdue: str  # "3 days overdue", or empty


def invoice_rows(invoices: Iterable[Invoice]) -> list[InvoiceRow]:
    """The rows of `invoice_list_for_account`: every value a cell shows, computed once per row instead of by
    template filters and tags per cell (dates and "overdue" in the current time zone)."""
    detail_url, pdf_url = pk_link("invoices:detail"), pk_link("invoices:pdf")
    today = timezone.localdate()
    rows = []
    for invoice in invoices:
        credit_note = invoice.kind == InvoiceKind.CREDIT_NOTE
        if credit_note:
            status = InvoiceStatus.CREDIT
        elif invoice.state == InvoiceState.ISSUED:
            status = InvoiceStatus.OVERDUE if invoice.due_date < today else InvoiceStatus.OPEN
        else:
            status = InvoiceStatus(invoice.state)
        days = (today - invoice.due_date).days if status == InvoiceStatus.OVERDUE else 0
        due = invoice.total if status in (InvoiceStatus.OPEN, InvoiceStatus.OVERDUE) else Decimal("0.00")
        overdue = ngettext("%(days)s day overdue", "%(days)s days overdue", days) % {"days": days}
        rows.append(
            InvoiceRow(
                pk=invoice.pk,
                number=invoice.number,
                detail_url=detail_url(invoice.pk),
                pdf_url=pdf_url(invoice.pk),
                issue_date=formats.date_format(invoice.issue_date, "DATE_FORMAT"),
                due_date="" if credit_note else formats.date_format(invoice.due_date, "DATE_FORMAT"),
                total=money(invoice.total, invoice.currency),
                amount_due="" if credit_note else money(due, invoice.currency),
                status=status,
                status_label=status.label,
                overdue=overdue if days else "",
            )
        )
    return rows


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
