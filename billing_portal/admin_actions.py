"""State changes as buttons on an admin change page, each through a confirmation page that calls a service."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class ObjectAction:
    """One button: shown while `is_available(obj)`; its confirmation page asks `question(obj)`; Confirm runs it."""

    name: str
    label: str
    is_available: Callable[[Any], bool]
    question: Callable[[Any], str]
    # Calls the service: (obj, request.user) -> anything; raises one of `errors` when the state forbids it.
    run: Callable[[Any, Any], Any]
    # The success message: (obj, what `run` returned) -> str.
    done: Callable[[Any, Any], str]
    errors: tuple[type[Exception], ...]
    # The permission the list action of the same change checks (`has_<permission>_permission(request)`).
    permission: str = "change"


class ObjectActionsMixin:
    """A ModelAdmin whose change page shows a button for each of `object_actions` valid for the object's state."""

    change_form_template = "admin/object_actions_change_form.html"
    object_actions: list[ObjectAction] = []

    def _object_action_url_name(self, action: ObjectAction) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_{action.name}"

    def get_urls(self):
        urls = [
            path(
                f"<path:object_id>/{action.name}/",
                self.admin_site.admin_view(self.object_action_view),
                {"action_name": action.name},
                name=self._object_action_url_name(action),
            )
            for action in self.object_actions
        ]
        return urls + super().get_urls()

    def _object_action_allowed(self, request, action: ObjectAction) -> bool:
        return getattr(self, f"has_{action.permission}_permission")(request)

    def available_object_actions(self, request, obj) -> list[dict]:
        return [
            {
                "label": action.label,
                "url": reverse(f"{self.admin_site.name}:{self._object_action_url_name(action)}", args=[quote(obj.pk)]),
            }
            for action in self.object_actions
            if action.is_available(obj) and self._object_action_allowed(request, action)
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if change and obj is not None:
            context["object_actions"] = self.available_object_actions(request, obj)
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def object_action_view(self, request, object_id, action_name):
        action = next(action for action in self.object_actions if action.name == action_name)
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        if not self._object_action_allowed(request, action):
            raise PermissionDenied
        change_url = reverse(
            f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_change", args=[quote(obj.pk)]
        )
        if request.method == "POST":
            try:
                result = action.run(obj, request.user)
            except action.errors as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(request, action.done(obj, result), messages.SUCCESS)
            return HttpResponseRedirect(change_url)
        if not action.is_available(obj):
            self.message_user(
                request,
                _("“%(action)s” is not possible for %(object)s in its current state.")
                % {"object": obj, "action": action.label},
                messages.ERROR,
            )
            return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": action.label,
            "subtitle": str(obj),
            "object": obj,
            "object_name": str(self.opts.verbose_name),
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "action_label": action.label,
            "question": action.question(obj),
            "change_url": change_url,
            "has_view_permission": self.has_view_permission(request, obj),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/object_action_confirmation.html", context)
