from django.contrib.auth.views import LogoutView
from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("", views.SignInView.as_view(), name="login"),
    path("sign-out/", LogoutView.as_view(), name="logout"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("password-reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("password-reset/done/", views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("language/", views.language_switch, name="language"),
    path("session/keep-alive/", views.keep_alive, name="keep_alive"),
    path("account/switch/", views.account_switch, name="switch"),
    path("billing/", views.billing, name="billing"),
    path("billing/payment-method/", views.payment_method_edit, name="payment_method"),
    path("billing/address/", views.address_edit, name="address"),
    path("billing/phone/", views.phone_edit, name="phone"),
    path("billing/purchase-order/", views.purchase_order_edit, name="purchase_order"),
    path("billing/vat-id/", views.vat_id_edit, name="vat_id"),
    path("billing/recipients/add/", views.recipient_add, name="recipient_add"),
    path("billing/recipients/<int:pk>/remove/", views.recipient_remove, name="recipient_remove"),
    path("billing/recipients/<int:pk>/xml/", views.recipient_xml, name="recipient_xml"),
    path("billing/contact/xml/", views.contact_xml, name="contact_xml"),
    path(
        "billing/recipients/<int:pk>/remove/confirm/", views.recipient_remove_confirm, name="recipient_remove_confirm"
    ),
    path("billing/requests/new/", views.request_new, name="request_new"),
    path("billing/contact/", views.billing_contact_edit, name="billing_contact"),
    path("billing/email/", views.email_change, name="email_change"),
    path("billing/email/confirm/<str:token>/", views.email_change_confirm, name="email_change_confirm"),
    path("billing/contact/accept/<str:token>/", views.billing_contact_accept, name="billing_contact_accept"),
    path("billing/contact/decline/<str:token>/", views.billing_contact_decline, name="billing_contact_decline"),
    path("billing/contact/welcome/<str:token>/", views.billing_contact_welcome, name="billing_contact_welcome"),
]
