"""Staff's edits of a draft in the admin, saved through the app's service or not at all."""

from django.contrib import messages
from django.http import HttpResponseRedirect


class DraftEditAdmin:
    """A draft's change form saved by `save_draft`, which saves it under its row lock only while the
    stored row is still a draft and raises one of `draft_errors` otherwise.

    Whether the object is a draft is the service's to decide, under the lock: the object here already
    holds the form's values (a terms version being published has its date), and a document submitted
    or issued in another tab since this page was read is a draft no longer. Django runs the whole
    save of a change form (the object, its inline rows, the history entry) in one transaction, so
    such an error undoes all of it: staff see the error on the document's page, and the document
    keeps what it was given.
    """

    draft_errors: tuple[type[Exception], ...] = ()

    def shows_save(self, obj) -> bool:
        """Whether the page of `obj`, as read, offers Save: a submitted or issued document has only its actions."""
        return True

    def save_draft(self, request, obj, fields: list[str]) -> None:
        raise NotImplementedError

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and not self.shows_save(obj):
            context.update(show_save=False, show_save_and_continue=False, show_save_and_add_another=False)
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def save_model(self, request, obj, form, change):
        self.save_draft(request, obj, form.changed_data if change else [])

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except self.draft_errors as error:
            self.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
