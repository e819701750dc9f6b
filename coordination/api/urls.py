from django.urls import path

from . import views

urlpatterns = [
    path(
        "communities/<slug:slug>/delivery-info",
        views.delivery_info,
        name="coordination-delivery-info",
    ),
    path("friendliness/ranking", views.ranking, name="coordination-ranking"),
]
