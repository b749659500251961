"""The admin site: every model's list filters only through the filters it shows.

Django lets a change list's query string filter on any field of its model (`?email__istartswith=p`),
whatever filters the list declares. The number of rows such a URL lists answers a yes-or-no question
about a value the admin never shows: asked one character at a time, it spells out a customer's
e-mail address, or an address or a sign-in link kept in an audit entry or an e-mail. This site gives
every model admin registered with it, the portal's and those of installed apps alike, the rule that a
query-string lookup must go through a field the list filters or dates by.
"""

from django.contrib import admin
from django.contrib.admin import widgets
from django.contrib.admin.apps import AdminConfig
from django.core.exceptions import FieldDoesNotExist
from django.db.models.constants import LOOKUP_SEP


class DeclaredFiltersOnly:
    """Query-string lookups only on the fields of `list_filter` and `date_hierarchy`.

    Parameters that name no field (a `SimpleListFilter`'s own) are left to Django, which ignores or
    refuses them; a lookup through a relation must still match a declared filter's path, as Django
    requires.
    """

    def lookup_allowed(self, lookup, value, request=None):
        if not super().lookup_allowed(lookup, value, request):
            return False
        if self.is_popup_choice_lookup(lookup, value):
            return True
        first = lookup.split(LOOKUP_SEP, 1)[0]
        try:
            self.model._meta.get_field(first)
        except FieldDoesNotExist:
            return True
        return first in self.filtered_fields(request)

    def is_popup_choice_lookup(self, lookup, value) -> bool:
        """The `limit_choices_to` of a foreign key to this model, which its raw-id popup sends (Django allows it)."""
        for fk_lookup in self.model._meta.related_fkey_lookups:
            if callable(fk_lookup):
                fk_lookup = fk_lookup()
            if (lookup, value) in widgets.url_params_from_lookup_dict(fk_lookup).items():
                return True
        return False

    def filtered_fields(self, request) -> set[str]:
        fields = {self.date_hierarchy.split(LOOKUP_SEP, 1)[0]} if self.date_hierarchy else set()
        for item in self.get_list_filter(request) if request is not None else self.list_filter:
            if isinstance(item, (list, tuple)):
                item = item[0]
            if isinstance(item, str):
                fields.add(item.split(LOOKUP_SEP, 1)[0])
        return fields


class PortalAdminSite(admin.AdminSite):
    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, DeclaredFiltersOnly):
            admin_class = type(
                admin_class.__name__, (DeclaredFiltersOnly, admin_class), {"__module__": admin_class.__module__}
            )
        super().register(model_or_iterable, admin_class, **options)


class PortalAdminConfig(AdminConfig):
    default_site = "billing_portal.admin_site.PortalAdminSite"
