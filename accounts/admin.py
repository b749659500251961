from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UsernameField
from django.contrib.contenttypes.admin import GenericTabularInline
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing_portal.admin_inlines import LabelledTabularInline

from . import (
    email_log_admin,  # noqa: F401  (replaces post-office's e-mail and attachment admins)
    services,
)
from .audit import AuditAction
from .models import (
    PO_EXPIRY_WARNING,
    AccountRequest,
    AuditEntry,
    CompanyAccount,
    InvoiceRecipient,
    PaymentMethod,
    User,
    payment_methods_for,
)
from .privacy import mask_email, mask_emails


class AuditEntryInline(GenericTabularInline):
    model = AuditEntry
    extra = 0
    can_delete = False
    fields = ["created_at", "actor", "action", "changes_shown"]
    readonly_fields = fields
    ordering = ["-created_at"]
    verbose_name_plural = _("history")

    @admin.display(description=_("changes"))
    def changes_shown(self, entry):
        return mask_emails(entry.changes)

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class PortalUserCreationForm(forms.ModelForm):
    """No password fields: a new user sets a password through the link sent when they become billing contact."""

    class Meta:
        model = User
        fields = ["username", "email", "first_name", "last_name"]
        field_classes = {"username": UsernameField}


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Users in the admin: nobody sets or sees a customer's password or changes a customer's e-mail address.

    A customer changes their own address in the portal, confirmed from the new address; a
    password is set only through an e-mailed link. Only superusers change staff users and rights.
    Every change goes through `services.user_update`, which audits it.
    """

    list_display = ["username", "email_shown", "first_name", "last_name", "is_staff", "is_active", "language"]
    # Not the e-mail address: a search would tell staff whether a guessed address is a customer's.
    search_fields = ["username", "first_name", "last_name"]
    list_filter = ["is_staff", "is_active", "language", "groups"]
    fieldsets = DjangoUserAdmin.fieldsets + ((_("Portal"), {"fields": ["phone", "language"]}),)
    add_form = PortalUserCreationForm
    add_form_template = None
    add_fieldsets = ((None, {"classes": ["wide"], "fields": ["username", "email", "first_name", "last_name"]}),)
    superuser_only_fields = ["is_staff", "is_superuser", "groups", "user_permissions"]

    def get_inlines(self, request, obj):
        return [AuditEntryInline] if obj is not None else []

    def _shows_password(self, request, obj) -> bool:
        # Superusers keep Django's password form for staff users; nobody else reaches it.
        return request.user.is_superuser and obj is not None and obj.is_staff

    @admin.display(description=_("e-mail address"))
    def email_shown(self, user):
        return user.email if user.is_staff else mask_email(user.email)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        hidden = set() if self._shows_password(request, obj) else {"password"}
        shown = {"email": "email_shown"} if not obj.is_staff else {}
        return [
            (
                name,
                {
                    **options,
                    "fields": [shown.get(field, field) for field in options["fields"] if field not in hidden],
                },
            )
            for name, options in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = [*super().get_readonly_fields(request, obj), "last_login", "date_joined"]
        if obj is None:
            return readonly
        if not self._shows_password(request, obj):
            readonly.append("password")  # drops the declared hash field from the form
        if not request.user.is_superuser:
            readonly += self.superuser_only_fields
        if not obj.is_staff:
            readonly += ["email", "email_shown"]
        return readonly

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is None or "is_staff" not in form.base_fields:
            return form

        class StaffFlagForm(form):
            def clean_is_staff(self):
                is_staff = self.cleaned_data["is_staff"]
                if is_staff and CompanyAccount.objects.filter(billing_contact=self.instance).exists():
                    raise ValidationError(_("Staff cannot be billing contacts."))
                return is_staff

        return StaffFlagForm

    def has_change_permission(self, request, obj=None):
        if obj is not None and (obj.is_staff or obj.is_superuser) and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and (obj.is_staff or obj.is_superuser) and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            services.user_create(user=obj, actor=request.user)
            return
        services.user_update(
            user=obj, actor=request.user, values={name: form.cleaned_data[name] for name in form.changed_data}
        )

    def save_related(self, request, form, formsets, change):
        # Groups and permissions were set by user_update in save_model, with their audit entry.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def user_change_password(self, request, id, form_url=""):
        # Customers set their own password through an e-mailed link; nobody sets it for them.
        user = self.get_object(request, unquote(id))
        if not request.user.is_superuser or (user is not None and not user.is_staff):
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)


class InvoiceRecipientInline(LabelledTabularInline):
    model = InvoiceRecipient
    extra = 0


class PoExpiryFilter(admin.SimpleListFilter):
    title = _("PO expiry")
    parameter_name = "po_expiry"

    def lookups(self, request, model_admin):
        return [
            ("expired", _("Expired")),
            ("soon", _("Within 30 days")),
            ("later", _("Later")),
            ("none", _("No expiry date")),
        ]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        conditions = {
            "expired": Q(po_expires_on__lt=today),
            "soon": Q(po_expires_on__gte=today, po_expires_on__lte=today + PO_EXPIRY_WARNING),
            "later": Q(po_expires_on__gt=today + PO_EXPIRY_WARNING),
            "none": Q(po_expires_on__isnull=True),
        }
        if self.value() in conditions:
            return queryset.filter(conditions[self.value()])
        return queryset


@admin.register(CompanyAccount)
class CompanyAccountAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "name",
        "billing_contact",
        "account_manager",
        "country",
        "payment_method",
        "auto_renew",
        "is_active",
    ]
    list_filter = [
        "is_active",
        "payment_method",
        "country",
        "auto_renew",
        "billing_interval",
        PoExpiryFilter,
        "account_manager",
    ]
    search_fields = ["number", "name", "billing_contact__username", "po_number"]
    list_select_related = ["billing_contact", "account_manager"]
    autocomplete_fields = ["billing_contact", "account_manager"]
    inlines = [InvoiceRecipientInline, AuditEntryInline]
    readonly_fields = [
        "card_brand",
        "card_last4",
        "card_exp_month",
        "card_exp_year",
        "bank_account_last4",
        "sepa_mandate",
        "po_reminder_sent_for",
        "created_at",
    ]
    fieldsets = [
        (
            None,
            {"fields": ["number", "name", "is_active", "account_manager", "billing_contact", "language", "currency"]},
        ),
        (
            _("Address"),
            {
                "fields": [
                    "address_line1",
                    "address_line2",
                    "postal_code",
                    "city",
                    "region",
                    "country",
                    "phone",
                    "time_zone",
                ]
            },
        ),
        (
            _("Payment"),
            {
                "fields": [
                    "payment_method",
                    "card_holder",
                    "card_brand",
                    "card_last4",
                    "card_exp_month",
                    "card_exp_year",
                    "bank_account_holder",
                    "bank_routing_number",
                    "bank_account_last4",
                    "sepa_mandate",
                ]
            },
        ),
        (
            _("Subscription"),
            {
                "fields": [
                    "po_number",
                    "po_expires_on",
                    "po_reminder_sent_for",
                    "billing_interval",
                    "auto_renew",
                    "created_at",
                ]
            },
        ),
    ]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)

        class AccountForm(form):
            def clean_billing_contact(self):
                contact = self.cleaned_data["billing_contact"]
                if contact.is_staff:
                    raise ValidationError(_("Staff cannot be billing contacts."))
                return contact

            def clean(self):
                data = super().clean()
                method, country = data.get("payment_method"), data.get("country")
                if method and country and method not in payment_methods_for(str(country)):
                    self.add_error("payment_method", _("This payment method is not offered in the account's country."))
                elif method == PaymentMethod.SEPA_DEBIT and not (obj and obj.sepa_mandate_id):
                    self.add_error(
                        "payment_method",
                        _("SEPA direct debit needs a mandate, which the billing contact accepts in the portal."),
                    )
                return data

        return AccountForm

    def save_formset(self, request, form, formset, change):
        if formset.model is not InvoiceRecipient:
            return super().save_formset(request, form, formset, change)
        # Recipients change through the same services as in the portal: limit, audit entry.
        formset.save(commit=False)
        for recipient in formset.deleted_objects:
            services.invoice_recipient_remove(recipient=recipient, actor=request.user)
        edited = [recipient for recipient, _changed in formset.changed_objects]
        try:
            # Edited addresses replace the stored ones all together (two may swap), or, if one of them
            # cannot be added, none does and the stored ones stay.
            with transaction.atomic():
                # Those the customer has not removed in the meantime.
                for stored in InvoiceRecipient.objects.filter(pk__in=[recipient.pk for recipient in edited]):
                    services.invoice_recipient_remove(recipient=stored, actor=request.user)
                for recipient in edited:
                    services.invoice_recipient_add(account=form.instance, actor=request.user, email=recipient.email)
        except services.AccountError as error:
            messages.error(request, str(error))
        for recipient in formset.new_objects:
            try:
                services.invoice_recipient_add(account=form.instance, actor=request.user, email=recipient.email)
            except services.AccountError as error:
                messages.error(request, str(error))

    def save_model(self, request, obj, form, change):
        if not change:
            services.account_create(account=obj, actor=request.user)
            return
        new_contact = obj.billing_contact if "billing_contact" in form.changed_data else None
        if new_contact is not None:
            obj.billing_contact_id = form.initial["billing_contact"]
        values = {name: form.cleaned_data[name] for name in form.changed_data if name != "billing_contact"}
        if values:
            services.account_update(
                account=obj, actor=request.user, action=AuditAction.ACCOUNT_ADMIN_UPDATE, values=values
            )
        if new_contact is not None:
            try:
                services.billing_contact_assign(account=obj, actor=request.user, new_contact=new_contact)
            except services.AccountError as error:
                messages.error(request, str(error))


@admin.register(AccountRequest)
class RequestAdmin(admin.ModelAdmin):
    list_display = ["created_at", "account", "contact", "kind", "status"]
    list_filter = ["status", "kind"]
    search_fields = ["account__number", "account__name", "contact__username", "message"]
    list_select_related = ["account", "contact"]
    readonly_fields = ["account", "contact", "kind", "message", "created_at"]
    actions = ["mark_done"]

    @admin.action(description=_("Mark as done"), permissions=["change"])
    def mark_done(self, request, queryset):
        open_requests = list(queryset.filter(status=AccountRequest.Status.OPEN))
        for item in open_requests:
            services.account_request_mark_done(account_request=item, actor=request.user)
        self.message_user(request, _("%(count)d requests marked as done.") % {"count": len(open_requests)})

    def has_add_permission(self, request):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "account", "actor", "action", "content_type", "object_id"]
    list_filter = ["action", "content_type"]
    search_fields = ["account__number", "account__name", "actor__username", "action"]
    list_select_related = ["account", "actor", "content_type"]
    date_hierarchy = "created_at"
    fields = ["created_at", "account", "actor", "action", "content_type", "object_id", "changes_shown"]
    readonly_fields = fields

    @admin.display(description=_("changes"))
    def changes_shown(self, entry):
        return mask_emails(entry.changes)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
