from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from billing_portal.admin_inlines import LabelledTabularInline

from . import services
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
    fields = ["created_at", "recipients", "created_by", "released_at"]
    readonly_fields = fields
    can_delete = False
    verbose_name_plural = _("e-mails")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = ["__str__", "account", "kind", "state", "issue_date", "due_date", "total", "currency"]
    list_filter = ["state", "kind", ("account", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["number", "account__name", "account__number"]
    list_select_related = ["account"]
    date_hierarchy = "issue_date"
    inlines = [InvoiceLineInline, InvoiceDeliveryInline]
    actions = ["issue_and_email", "resend_email", "mark_paid", "void", "issue_credit_note"]
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
        "pdf",
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

    def has_delete_permission(self, request, obj=None):
        # Only a draft may be deleted; an issued invoice is a document that stays.
        return obj is not None and obj.state == InvoiceState.DRAFT and super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if obj.pk and obj.state != InvoiceState.DRAFT:
            # Every field is read-only once issued; nothing to save.
            return
        if not obj.currency:
            obj.currency = obj.account.currency
        super().save_model(request, obj, form, change)

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
