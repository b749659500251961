from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from accounts.views import baseline, frame

urlpatterns = [
    path("admin/", admin.site.urls),
    path("quotes/", include("quotes.urls")),
    path("invoices/", include("invoices.urls")),
    path("", include("accounts.urls")),
]

if settings.BASELINE_VIEW_ENABLED:
    urlpatterns[:0] = [path("_baseline/", baseline, name="baseline"), path("_frame/", frame, name="frame")]
