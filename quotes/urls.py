from django.urls import path
from django.views.generic import RedirectView

from . import views

app_name = "quotes"

urlpatterns = [
    path("", views.quote_list, name="list"),
    path("<int:pk>/", views.quote_detail, name="detail"),
    path("<int:pk>/quote.pdf", views.quote_pdf, name="pdf"),
    path("<int:pk>/decline/", views.quote_decline, name="decline"),
    path("<int:pk>/payment/", views.quote_checkout, name="checkout"),
    path("cart/", views.cart_view, name="cart"),
    path("cart/add/", views.cart_add, name="cart_add"),
    path("cart/<int:pk>/remove/", views.cart_remove, name="cart_remove"),
    # The cart leads straight to payment; these addresses of the former review step still lead there.
    path("cart/save/", RedirectView.as_view(pattern_name="quotes:cart_checkout"), name="cart_save"),
    path("cart/review/", RedirectView.as_view(pattern_name="quotes:cart_checkout"), name="cart_review"),
    path("cart/payment/", views.cart_checkout, name="cart_checkout"),
    path("orders/", views.order_list, name="orders"),
    path("orders/<int:pk>/", views.order_review, name="order_review"),
    path("orders/<int:pk>/place/", views.order_place, name="order_place"),
    path("orders/<int:pk>/confirmation/", views.order_confirmation, name="order_confirmation"),
    path("orders/<int:pk>/receipt.pdf", views.order_receipt_pdf, name="order_receipt_pdf"),
    path("products/", views.product_list, name="products"),
]
