"""The e-mail log in the admin: staff see what went out and requeue what failed, never a body or a link."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from post_office.admin import AttachmentAdmin, EmailAdmin, LogAdmin, LogInline
from post_office.models import Attachment, Email, Log

from . import services
from .privacy import mask_email, mask_emails


class PortalEmailAdmin(EmailAdmin):
    """The e-mail log for staff: to whom, what subject, when, whether it went out, and "requeue" for failed ones.

    A password-reset or welcome e-mail holds a link that signs its reader in as the billing contact,
    so the log never lets anyone change an e-mail's recipients or status, and nobody in the admin,
    superusers included (they are staff too), reads bodies or headers; only superusers open the
    attachments (invoices and receipts, which hold no sign-in link). Searches and orderings stay on the
    columns shown, and query-string lookups on the list's filters (`billing_portal.admin_site`): the
    count of `?message__contains=...` answers would spell out a link one character at a time.
    """

    list_display = ["to_shown", "subject_shown", "status", "created", "last_updated"]
    list_filter = ["status", "created"]
    ordering = ["-created"]
    actions = ["requeue"]
    log_fields = ["to_shown", "cc_shown", "bcc_shown", "subject", "status", "created", "last_updated", "scheduled_time"]

    # Recipients masked: the log says an e-mail went to b•••@acme.example, never where sign-in links go.
    @admin.display(description=_("To"))
    def to_shown(self, email):
        return mask_email(", ".join(email.to))

    @admin.display(description=_("Cc"))
    def cc_shown(self, email):
        return mask_email(", ".join(email.cc))

    @admin.display(description=_("Bcc"))
    def bcc_shown(self, email):
        return mask_email(", ".join(email.bcc))

    @admin.display(description=_("Subject"))
    def subject_shown(self, email):
        return Truncator(email.subject).chars(100)

    def get_search_fields(self, request):
        # No search: matching on recipients would confirm a guessed customer address.
        return []

    def get_sortable_by(self, request):
        return ["status", "created", "last_updated"]

    def get_readonly_fields(self, request, obj=None):
        return self.log_fields

    def get_fieldsets(self, request, obj=None):
        return [(None, {"fields": self.log_fields})]

    def get_inlines(self, request, obj):
        return [PortalLogInline]

    def has_change_permission(self, request, obj=None):
        # The change permission only allows the requeue action on the list; a sent e-mail is never edited.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_delete_permission(request, obj)

    def _get_object_or_deny(self, request, pk, permission="view"):
        # post-office's HTML preview, inline images and resend views show or re-send a body.
        raise PermissionDenied

    @admin.action(description=_("Requeue failed e-mails"), permissions=["change"])
    def requeue(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        requeued = sum(services.email_requeue(email_id=email_id, actor=request.user) for email_id in ids)
        self.message_user(request, _("%(count)d e-mails requeued.") % {"count": requeued})
        if requeued < len(ids):
            self.message_user(
                request,
                _("%(count)d e-mails were not failed and were left as they are.") % {"count": len(ids) - requeued},
            )


class PortalLogInline(LogInline):
    """An e-mail's delivery attempts; a mail server's refusal names the address it refused: masked."""

    readonly_fields = fields = ["date", "status", "exception_type", "message_shown"]

    @admin.display(description=_("Message"))
    def message_shown(self, log):
        return mask_emails(log.message)


class PortalLogAdmin(LogAdmin):
    """Every delivery attempt, as on each e-mail's page: the mail server's answer with its addresses masked."""

    list_display = ["date", "email", "status", "message_shown"]

    @admin.display(description=_("Message"))
    def message_shown(self, log):
        return Truncator(mask_emails(log.message)).chars(60)

    def get_fields(self, request, obj=None):
        return ["date", "email", "status", "exception_type", "message_shown"]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class PortalAttachmentAdmin(AttachmentAdmin):
    """Attachments (invoices, receipts) of logged e-mails: superusers only."""

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


def _email_shown(email: Email) -> str:
    return mask_email(", ".join(email.to))


# post-office names an e-mail by its recipients, and the admin prints that name in titles, breadcrumbs
# and the list's checkbox labels: the masked form there too.
Email.__str__ = _email_shown

admin.site.unregister(Email)
admin.site.register(Email, PortalEmailAdmin)
admin.site.unregister(Log)
admin.site.register(Log, PortalLogAdmin)
admin.site.unregister(Attachment)
admin.site.register(Attachment, PortalAttachmentAdmin)

admin.site.site_header = _("Corporate Billing Portal")
admin.site.site_title = _("Corporate Billing Portal")
