from django.shortcuts import render


def csrf_failure(request, reason: str = ""):
    """The "Form expired" page, in the portal's frame: Django's own view renders it without the request, so without
    the frame's links (`billing_portal.context_processors.frame`) or a fresh CSRF token for the next try."""
    return render(request, "403_csrf.html", status=403)
