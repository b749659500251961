"""Tabular inlines whose fields a screen reader can name: a row's inputs have no <label>, only a column header."""

from django.contrib import admin
from django.utils.text import capfirst


class LabelledTabularInline(admin.TabularInline):
    """Every input of every row carries its column's name, and the table stays within the page."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None:
            formfield.widget.attrs["aria-label"] = capfirst(formfield.label or db_field.verbose_name)
            if db_field.get_internal_type() in ("CharField", "TextField"):
                formfield.widget.attrs.setdefault("size", 24)
        return formfield
