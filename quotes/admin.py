from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy, pgettext_lazy

from accounts.admin import AuditEntryInline
from accounts.privacy import mask_email
from billing_portal.admin_actions import ObjectAction, ObjectActionsMixin
from billing_portal.admin_drafts import DraftEditAdmin
from billing_portal.admin_inlines import LabelledTabularInline
from billing_portal.templatetags.money import money

from . import services
from .models import (
    QUOTE_VALIDITY,
    AdminContact,
    Product,
    Quote,
    QuoteLine,
    QuoteState,
    SeatAssignment,
    ServiceOrder,
    TermsVersion,
)


@admin.register(Product)
class ProductModelAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["sku", "name"]


class QuoteLineInline(LabelledTabularInline):
    model = QuoteLine
    extra = 1
    fields = ["product", "description", "seats", "term_months", "unit_price", "discount_percent", "line_total"]
    readonly_fields = ["line_total"]
    autocomplete_fields = ["product"]

    # A submitted quote's lines are what the customer accepts: they never change again.
    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and (obj is None or obj.state == QuoteState.DRAFT)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or obj.state == QuoteState.DRAFT)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or obj.state == QuoteState.DRAFT)


@admin.register(Quote)
class QuoteAdmin(DraftEditAdmin, ObjectActionsMixin, admin.ModelAdmin):
    list_display = ["number", "account", "state", "total", "currency", "submitted_at", "expires_at", "decided_at"]
    list_filter = ["state", ("account", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["number", "account__number", "account__name"]
    list_select_related = ["account"]
    autocomplete_fields = ["account", "account_manager"]
    inlines = [QuoteLineInline, AuditEntryInline]
    actions = ["submit_to_customer", "withdraw"]
    draft_errors = (services.QuoteError,)
    # The same services as the list actions, one quote at a time from its page.
    object_actions = [
        ObjectAction(
            name="submit",
            label=pgettext_lazy("quote admin button", "Submit"),
            is_available=lambda quote: quote.state == QuoteState.DRAFT,
            question=lambda quote: (
                _(
                    "Submit quote %(number)s for %(total)s to %(account)s? Its billing contact is e-mailed a link"
                    " and may accept it for %(days)d days; its lines cannot be changed afterwards."
                )
                % {
                    "number": quote.number,
                    "total": money(quote.total, quote.currency or quote.account.currency),
                    "account": quote.account,
                    "days": QUOTE_VALIDITY.days,
                }
            ),
            run=lambda quote, user: services.quote_submit(quote=quote, actor=user),
            done=lambda quote, result: _("Quote %(number)s submitted to the customer.") % {"number": quote.number},
            errors=(services.QuoteError,),
        ),
        ObjectAction(
            name="withdraw",
            label=_("Withdraw"),
            is_available=lambda quote: quote.is_open_at(timezone.now()),
            question=lambda quote: (
                _("Withdraw quote %(number)s? %(account)s can no longer accept it. This cannot be undone.")
                % {"number": quote.number, "account": quote.account}
            ),
            run=lambda quote, user: services.quote_withdraw(quote=quote, actor=user),
            done=lambda quote, result: _("Quote %(number)s withdrawn.") % {"number": quote.number},
            errors=(services.QuoteError,),
        ),
    ]

    def get_actions(self, request):
        # Only drafts may be deleted, one by one from their page: a bulk delete would meet submitted quotes.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    date_hierarchy = "submitted_at"
    editable_fields = ["account", "account_manager", "currency", "notes"]
    state_fields = [
        "number",
        "state",
        "created_at",
        "submitted_at",
        "expires_at",
        "reminder_sent_at",
        "decided_at",
        "decided_by",
        "decline_comment",
        "service_order",
    ]
    fieldsets = [
        (None, {"fields": ["number", "account", "account_manager", "currency", "notes"]}),
        (
            _("State"),
            {
                "fields": [
                    "state",
                    "created_at",
                    "submitted_at",
                    "expires_at",
                    "reminder_sent_at",
                    "decided_at",
                    "decided_by",
                    "decline_comment",
                    "service_order",
                ]
            },
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).with_totals()

    @admin.display(description=_("total"), ordering="total")
    def total(self, obj):
        return obj.total

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.state != QuoteState.DRAFT:
            return self.state_fields + self.editable_fields
        return self.state_fields

    def shows_save(self, quote):
        return quote.state == QuoteState.DRAFT  # a submitted quote is what its customer was sent

    def save_draft(self, request, quote, fields):
        services.quote_draft_save(quote=quote, actor=request.user, fields=fields)

    @admin.action(description=_("Submit to customer"), permissions=["change"])
    def submit_to_customer(self, request, queryset):
        self._run(
            request,
            queryset,
            services.quote_submit,
            ngettext_lazy(
                "%(count)d quote submitted to the customer.", "%(count)d quotes submitted to the customer.", "count"
            ),
        )

    @admin.action(description=_("Withdraw"), permissions=["change"])
    def withdraw(self, request, queryset):
        self._run(
            request,
            queryset,
            services.quote_withdraw,
            ngettext_lazy("%(count)d quote withdrawn.", "%(count)d quotes withdrawn.", "count"),
        )

    def _run(self, request, queryset, service, success):
        done = 0
        for quote in queryset.order_by("pk"):
            try:
                service(quote=quote, actor=request.user)
            except services.QuoteError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, success % {"count": done}, messages.SUCCESS)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AcceptedQuoteInline(admin.TabularInline):
    model = Quote
    fk_name = "service_order"
    fields = ["number", "state", "decided_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = _("accepted quotes")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ServiceOrder)
class ServiceOrderAdmin(ReadOnlyAdmin):
    list_display = ["number", "account", "state", "total", "currency", "receipt_number", "placed_at", "placed_by"]
    list_filter = ["state"]
    # Not the admin contact's e-mail address: checkout offers the billing contact's own, the one they sign in with.
    search_fields = ["number", "receipt_number", "account__number", "account__name"]
    list_select_related = ["account", "placed_by"]
    inlines = [AcceptedQuoteInline, AuditEntryInline]
    exclude = ["token", "admin_email"]
    readonly_fields = ["admin_email_shown", "terms", "terms_accepted_by_name", "terms_accepted_at"]

    @admin.display(description=_("admin contact's e-mail address"))
    def admin_email_shown(self, order):
        return mask_email(order.admin_email)


class SeatAssignmentInline(admin.TabularInline):
    model = SeatAssignment
    fields = ["product", "quote", "service_order", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("product", "quote", "service_order")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AdminContact)
class AdminContactAdmin(ReadOnlyAdmin):
    """Admin contacts, with their e-mail addresses masked and not searched: the billing contact's own, the
    address they sign in with, is the one checkout offers."""

    list_display = ["name", "email_shown", "phone", "account", "updated_at"]
    search_fields = ["name", "account__number", "account__name"]
    list_select_related = ["account"]
    exclude = ["email"]
    readonly_fields = ["email_shown"]

    @admin.display(description=_("e-mail address"))
    def email_shown(self, contact):
        return mask_email(contact.email)

    inlines = [SeatAssignmentInline, AuditEntryInline]


@admin.register(TermsVersion)
class TermsVersionAdmin(DraftEditAdmin, admin.ModelAdmin):
    list_display = ["version", "language", "title", "published_at", "created_by"]
    list_filter = ["language"]
    search_fields = ["version", "title"]
    list_select_related = ["created_by"]
    fields = ["language", "version", "title", "text", "published_at", "created_by", "created_at"]
    readonly_fields = ["created_by", "created_at"]
    draft_errors = (services.QuoteError,)

    # Orders name the version they were placed under: once published, its words never change.
    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or not obj.is_published)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and obj is not None and not obj.is_published

    def save_draft(self, request, terms, fields):
        services.terms_version_save(terms=terms, actor=request.user, fields=fields)
