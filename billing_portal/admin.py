from django.contrib import admin
from django.core.exceptions import PermissionDenied
from post_office.admin import EmailAdmin
from post_office.models import Email


class PortalEmailAdmin(EmailAdmin):
    """The e-mail log for staff: to whom, when, whether it went out, and "requeue" for failed ones.

    Only superusers read the bodies: a password-reset or welcome e-mail holds a link that signs
    its reader in as the billing contact.
    """

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        return fieldsets if request.user.is_superuser else fieldsets[:1]

    def _get_object_or_deny(self, request, pk, permission="view"):
        if not request.user.is_superuser:
            raise PermissionDenied
        return super()._get_object_or_deny(request, pk, permission)


admin.site.unregister(Email)
admin.site.register(Email, PortalEmailAdmin)
