from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy
from django.views.decorators.http import require_GET

from accounts.privacy import mask_emails
from billing_portal import documents
from billing_portal.admin_actions import ObjectAction, ObjectActionsMixin
from billing_portal.admin_drafts import DraftEditAdmin
from billing_portal.admin_inlines import LabelledTabularInline
from billing_portal.templatetags.money import money
from quotes.admin import ServiceOrderAdmin
from quotes.models import ServiceOrder

from . import services
from .documents import INVOICE_PDF
from .models import Invoice, InvoiceDelivery, InvoiceLine, InvoiceState


class InvoiceLineInline(LabelledTabularInline):
    model = InvoiceLine
    extra = 1
    fields = ["position", "description", "product", "quantity", "unit_price", "line_total"]
    readonly_fields = ["line_total"]

    def _is_draft(self, obj) -> bool:
        return obj is None or obj.state == InvoiceState.DRAFT

    def get_readonly_fields(self, request, obj=None):
        return self.fields if not self._is_draft(obj) else self.readonly_fields

    def get_extra(self, request, obj=None, **kwargs):
        return self.extra if self._is_draft(obj) else 0

    def has_add_permission(self, request, obj=None):
        return self._is_draft(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._is_draft(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._is_draft(obj) and super().has_delete_permission(request, obj)


class InvoiceDeliveryInline(admin.TabularInline):
    model = InvoiceDelivery
    extra = 0
    fields = ["created_at", "recipients_shown", "created_by", "released_at"]
    readonly_fields = fields
    can_delete = False
    verbose_name_plural = _("e-mails")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by")

    @admin.display(description=_("recipients"))
    def recipients_shown(self, delivery):
        return mask_emails(", ".join(delivery.recipients))

    def has_add_permission(self, request, obj=None):
        return False


def _is_open(invoice: Invoice) -> bool:
    return invoice.state == InvoiceState.ISSUED and not invoice.is_credit_note


def _amount(invoice: Invoice) -> str:
    return money(invoice.total, invoice.currency or invoice.account.currency)


@admin.register(Invoice)
class InvoiceAdmin(DraftEditAdmin, ObjectActionsMixin, admin.ModelAdmin):
    list_display = ["__str__", "account", "kind", "state", "issue_date", "due_date", "total", "currency"]
    list_filter = ["state", "kind", ("account", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["number", "account__name", "account__number"]
    list_select_related = ["account"]
    date_hierarchy = "issue_date"
    inlines = [InvoiceLineInline, InvoiceDeliveryInline]
    actions = ["issue_and_email", "resend_email", "mark_paid", "void", "issue_credit_note"]
    draft_errors = (services.InvoiceError,)
    # The same services as the list actions, one invoice at a time from its page.
    object_actions = [
        ObjectAction(
            name="issue",
            label=_("Issue and e-mail"),
            is_available=lambda invoice: invoice.state == InvoiceState.DRAFT,
            question=lambda invoice: (
                _(
                    "Issue %(invoice)s for %(total)s to %(account)s? It is given its number and e-mailed as a PDF"
                    " to the billing contact and the invoice recipients. It cannot be changed afterwards."
                )
                % {"invoice": invoice, "total": _amount(invoice), "account": invoice.account}
            ),
            run=lambda invoice, user: services.invoice_issue(invoice=invoice, actor=user),
            done=lambda invoice, issued: _("Invoice %(number)s issued and e-mailed.") % {"number": issued.number},
            errors=(services.InvoiceError,),
        ),
        ObjectAction(
            name="resend",
            label=_("Resend"),
            is_available=lambda invoice: invoice.state in (InvoiceState.ISSUED, InvoiceState.PAID),
            question=lambda invoice: (
                _("E-mail %(number)s again as a PDF to today's billing contact and invoice recipients of %(account)s?")
                % {"number": invoice.number, "account": invoice.account}
            ),
            run=lambda invoice, user: services.invoice_resend(invoice=invoice, actor=user),
            done=lambda invoice, delivery: _("%(number)s e-mailed again.") % {"number": invoice.number},
            errors=(services.InvoiceError,),
        ),
        ObjectAction(
            name="mark_paid",
            label=_("Mark paid"),
            is_available=_is_open,
            question=lambda invoice: (
                _("Mark invoice %(number)s for %(total)s paid? This cannot be undone.")
                % {"number": invoice.number, "total": _amount(invoice)}
            ),
            run=lambda invoice, user: services.invoice_mark_paid(invoice=invoice, actor=user),
            done=lambda invoice, paid: _("Invoice %(number)s marked paid.") % {"number": invoice.number},
            errors=(services.InvoiceError,),
        ),
        ObjectAction(
            name="void",
            label=pgettext_lazy("invoice admin button", "Void"),
            is_available=_is_open,
            question=lambda invoice: (
                _("Void invoice %(number)s? A credit note for %(total)s is issued and e-mailed. This cannot be undone.")
                % {"number": invoice.number, "total": _amount(invoice)}
            ),
            run=lambda invoice, user: services.invoice_void(invoice=invoice, actor=user),
            done=lambda invoice, voided: (
                _("Invoice %(number)s voided; its credit note is e-mailed.") % {"number": invoice.number}
            ),
            errors=(services.InvoiceError,),
        ),
    ]
    draft_fields = [
        "account",
        "service_period_start",
        "service_period_end",
        "payment_terms_days",
        "currency",
        "tax_category",
        "tax_rate",
        "note",
    ]
    issued_fields = [
        "number",
        "kind",
        "corrects_link",
        "state",
        "account",
        "issue_date",
        "due_date",
        "service_period_start",
        "service_period_end",
        "currency",
        "billing_name",
        "billing_address",
        "account_number",
        "po_number",
        "buyer_vat_id",
        "contact_user_id",
        "payment_method",
        "subtotal",
        "tax_category",
        "tax_rate",
        "tax",
        "total",
        "note",
        "pdf_link",
        "issued_at",
        "paid_at",
        "voided_at",
    ]

    def get_fields(self, request, obj=None):
        if obj is None or obj.state == InvoiceState.DRAFT:
            return [*self.draft_fields, "subtotal", "tax", "total"]
        return self.issued_fields

    def get_readonly_fields(self, request, obj=None):
        if obj is None or obj.state == InvoiceState.DRAFT:
            return ["subtotal", "tax", "total"]
        return self.issued_fields

    @admin.display(description=_("corrects invoice"))
    def corrects_link(self, obj):
        if obj.corrects_id is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:invoices_invoice_change", args=[obj.corrects_id]), obj.corrects
        )

    @admin.display(description=_("PDF"))
    def pdf_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:invoices_invoice_pdf", args=[obj.pk]), _("Download PDF")
        )

    def get_urls(self):
        return [
            path(
                "<path:object_id>/pdf/",
                self.admin_site.admin_view(self.pdf_view),
                name="invoices_invoice_pdf",
            ),
            *super().get_urls(),
        ]

    @method_decorator(require_GET)
    def pdf_view(self, request, object_id):
        """The issued PDF, served from storage; while it is not stored, its render is queued and staff told so."""
        invoice = self.get_object(request, unquote(object_id))
        if invoice is None or invoice.state == InvoiceState.DRAFT:
            raise Http404
        if not self.has_view_permission(request, invoice):
            raise PermissionDenied
        file = documents.document_stored(INVOICE_PDF, invoice)
        if file is None:
            if documents.document_prepare_later(INVOICE_PDF, invoice):
                self.message_user(request, _("This PDF is being prepared. Try again in a moment."), messages.WARNING)
            else:
                self.message_user(request, _("This document is too long to be made into a PDF."), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:invoices_invoice_change", args=[invoice.pk]))
        response = FileResponse(file, as_attachment=True, filename=invoice.pdf_filename, content_type="application/pdf")
        response["Cache-Control"] = "private, no-store"
        return response

    def shows_save(self, invoice):
        return invoice.state == InvoiceState.DRAFT  # an issued document never changes

    def get_actions(self, request):
        # Only a draft may be deleted, from its own page: a bulk delete would meet issued invoices and credit notes.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None):
        # Only a draft may be deleted; an issued invoice is a document that stays.
        return obj is not None and obj.state == InvoiceState.DRAFT and super().has_delete_permission(request, obj)

    def save_draft(self, request, invoice, fields):
        services.invoice_draft_save(invoice=invoice, actor=request.user, fields=fields)

    def save_related(self, request, form, formsets, change):
        if form.instance.state != InvoiceState.DRAFT:
            return
        super().save_related(request, form, formsets, change)
        services.invoice_draft_recalculate(invoice=form.instance)

    def _run(self, request, queryset, service, done_message, **kwargs):
        done = 0
        for invoice in queryset.order_by("pk"):
            try:
                service(invoice=invoice, actor=request.user, **kwargs)
            except services.InvoiceError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, done_message(done), messages.SUCCESS)

    @admin.action(description=_("Issue and e-mail"), permissions=["change"])
    def issue_and_email(self, request, queryset):
        self._run(
            request,
            queryset,
            services.invoice_issue,
            lambda n: ngettext("%d invoice issued and e-mailed.", "%d invoices issued and e-mailed.", n) % n,
        )

    @admin.action(description=_("Resend e-mail"), permissions=["change"])
    def resend_email(self, request, queryset):
        self._run(
            request,
            queryset,
            services.invoice_resend,
            lambda n: ngettext("%d invoice e-mailed again.", "%d invoices e-mailed again.", n) % n,
        )

    @admin.action(description=_("Mark paid"), permissions=["change"])
    def mark_paid(self, request, queryset):
        self._run(
            request,
            queryset,
            services.invoice_mark_paid,
            lambda n: ngettext("%d invoice marked paid.", "%d invoices marked paid.", n) % n,
        )

    @admin.action(description=_("Void (issues a credit note)"), permissions=["change"])
    def void(self, request, queryset):
        self._run(
            request,
            queryset,
            services.invoice_void,
            lambda n: (
                ngettext(
                    "%d invoice voided; its credit note is e-mailed.",
                    "%d invoices voided; their credit notes are e-mailed.",
                    n,
                )
                % n
            ),
        )

    @admin.action(description=_("Issue credit note"), permissions=["change"])
    def issue_credit_note(self, request, queryset):
        self._run(
            request,
            queryset,
            services.invoice_credit_note_issue,
            lambda n: ngettext("%d credit note issued and e-mailed.", "%d credit notes issued and e-mailed.", n) % n,
        )


admin.site.unregister(ServiceOrder)


@admin.register(ServiceOrder)
class ServiceOrderInvoicingAdmin(ObjectActionsMixin, ServiceOrderAdmin):
    """The service order as quotes shows it, and a button that drafts its invoice (invoices may import quotes)."""

    object_actions = [
        ObjectAction(
            name="draft_invoice",
            label=_("Draft invoice"),
            is_available=lambda order: order.is_placed,
            question=lambda order: (
                _(
                    "Draft an invoice for service order %(number)s (%(total)s)? It takes the order's lines and the"
                    " tax treatment its quotes were accepted under; you review it before issuing it."
                )
                % {"number": order.number, "total": money(order.total, order.currency)}
            ),
            run=lambda order, user: services.invoice_draft_from_order(order=order, actor=user),
            done=lambda order, invoice: (
                _("Draft invoice for %(number)s created: review and issue it.") % {"number": order.number}
            ),
            errors=(services.InvoiceError,),
            permission="invoice",
        ),
    ]

    def has_invoice_permission(self, request):
        return request.user.has_perm("invoices.add_invoice")
