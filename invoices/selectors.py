"""Reads shared by the portal's invoice views; every one is scoped to a company account."""

from django.db.models import OuterRef, Subquery
from django.shortcuts import get_object_or_404

from accounts.models import CompanyAccount

from .models import Invoice

LIST_LIMIT = 20


def invoice_list_for_account(*, account: CompanyAccount, limit: int = LIST_LIMIT) -> list[Invoice]:
    """The `limit` most recent issued, paid or void invoices and credit notes of the account, newest first."""
    return list(
        Invoice.objects.visible_to(account)
        .order_by("-issue_date", "-number")
        .only("pk", "number", "kind", "state", "issue_date", "due_date", "currency", "total", "account_id")[:limit]
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
