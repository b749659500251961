from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.contenttypes.admin import GenericTabularInline
from django.utils.translation import gettext_lazy as _

from . import services
from .models import AuditEntry, CompanyAccount, InvoiceRecipient, Request, User


class AuditEntryInline(GenericTabularInline):
    model = AuditEntry
    extra = 0
    can_delete = False
    fields = ["created_at", "actor", "action", "changes"]
    readonly_fields = fields
    ordering = ["-created_at"]
    verbose_name_plural = _("history")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "email", "first_name", "last_name", "is_staff", "is_active", "language"]
    list_filter = ["is_staff", "is_active", "language", "groups"]
    fieldsets = DjangoUserAdmin.fieldsets + ((_("Portal"), {"fields": ["phone", "language"]}),)
    add_fieldsets = ((None, {"classes": ["wide"], "fields": ["username", "email", "first_name", "last_name", "password1", "password2"]}),)


class InvoiceRecipientInline(admin.TabularInline):
    model = InvoiceRecipient
    extra = 0


@admin.register(CompanyAccount)
class CompanyAccountAdmin(admin.ModelAdmin):
    list_display = ["number", "name", "billing_contact", "account_manager", "country", "payment_method", "auto_renew", "is_active"]
    list_filter = ["is_active", "payment_method", "country", "auto_renew", "billing_interval", "account_manager"]
    search_fields = ["number", "name", "billing_contact__username", "billing_contact__email", "po_number"]
    list_select_related = ["billing_contact", "account_manager"]
    autocomplete_fields = ["billing_contact", "account_manager"]
    inlines = [InvoiceRecipientInline, AuditEntryInline]
    readonly_fields = ["card_brand", "card_last4", "card_exp_month", "card_exp_year", "bank_account_last4", "created_at"]
    fieldsets = [
        (None, {"fields": ["number", "name", "is_active", "account_manager", "billing_contact", "language", "currency"]}),
        (_("Address"), {"fields": ["address_line1", "address_line2", "postal_code", "city", "region", "country", "phone"]}),
        (_("Payment"), {"fields": ["payment_method", "card_holder", "card_brand", "card_last4", "card_exp_month", "card_exp_year",
                                   "bank_account_holder", "bank_routing_number", "bank_account_last4"]}),
        (_("Subscription"), {"fields": ["po_number", "po_expires_on", "billing_interval", "auto_renew", "created_at"]}),
    ]

    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        new_contact = obj.billing_contact if "billing_contact" in form.changed_data else None
        if new_contact is not None:
            obj.billing_contact_id = form.initial["billing_contact"]
        values = {name: form.cleaned_data[name] for name in form.changed_data if name != "billing_contact"}
        if values:
            services.account_update(account=obj, actor=request.user, action="admin_update", values=values)
        if new_contact is not None:
            try:
                services.billing_contact_assign(account=obj, actor=request.user, new_contact=new_contact)
            except services.AccountError as error:
                messages.error(request, str(error))


@admin.register(Request)
class RequestAdmin(admin.ModelAdmin):
    list_display = ["created_at", "account", "contact", "kind", "status"]
    list_filter = ["status", "kind"]
    search_fields = ["account__number", "account__name", "contact__username", "message"]
    list_select_related = ["account", "contact"]
    readonly_fields = ["account", "contact", "kind", "message", "created_at"]
    actions = ["mark_done"]

    @admin.action(description=_("Mark as done"), permissions=["change"])
    def mark_done(self, request, queryset):
        updated = queryset.filter(status=Request.Status.OPEN).update(status=Request.Status.DONE)
        self.message_user(request, _("%(count)d requests marked as done.") % {"count": updated})

    def has_add_permission(self, request):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "account", "actor", "action", "content_type", "object_id"]
    list_filter = ["action", "content_type"]
    search_fields = ["account__number", "account__name", "actor__username", "action"]
    list_select_related = ["account", "actor", "content_type"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
