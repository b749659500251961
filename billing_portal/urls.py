from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from accounts.views import baseline

urlpatterns = [
    path("admin/", admin.site.urls),
    path("quotes/", include("quotes.urls")),
    path("invoices/", include("invoices.urls")),
    path("", include("accounts.urls")),
]

if settings.BASELINE_VIEW_ENABLED:
    urlpatterns.insert(0, path("_baseline/", baseline, name="baseline"))
