"""Included at /staff/ before riders' staff pages (/staff/riders/, /staff/gates/...)."""

from django.urls import path

from . import views

app_name = "dashboard"

urlpatterns = [
    path("", views.dashboard, name="home"),
    path("go/<str:what>/", views.staff_go, name="go"),
    path("c/<slug:slug>/", views.community_detail, name="community"),
    path("c/<slug:slug>/events.csv", views.community_events_csv, name="events_csv"),
    path("riders/<int:rider_id>/history", views.rider_history, name="rider_history"),
    path(
        "c/<slug:slug>/controllers/<int:controller_id>/sync",
        views.controller_sync,
        name="controller_sync",
    ),
]
