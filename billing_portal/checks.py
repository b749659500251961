"""Deployment checks that Django's own `check --deploy` does not know about."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Tags, Warning, register

LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1", "testserver"}


@register(Tags.security, deploy=True)
def portal_url_check(app_configs, **kwargs):
    """E-mailed links and printed documents carry PORTAL_URL: it must be the public HTTPS address."""
    url = urlsplit(settings.PORTAL_URL)
    if url.scheme != "https" or not url.hostname or url.hostname in LOOPBACK_HOSTS:
        return [
            Warning(
                f"PORTAL_URL is {settings.PORTAL_URL!r}: links in e-mails and documents would point there.",
                hint="Set PORTAL_URL to the portal's public address, e.g. https://billing.example.com.",
                id="billing_portal.W001",
            )
        ]
    return []
