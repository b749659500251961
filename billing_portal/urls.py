from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("quotes/", include("quotes.urls")),
    path("invoices/", include("invoices.urls")),
    path("", include("accounts.urls")),
]
