from django.apps import AppConfig


class BillingPortalConfig(AppConfig):
    name = "billing_portal"
    verbose_name = "Billing portal"

    def ready(self):
        from . import checks  # noqa: F401  (registers the deployment checks)
