from django.urls import path

from . import views

app_name = "communities"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("c/<slug:slug>/", views.rules_page, name="rules"),
    path("c/<slug:slug>/find", views.house_find_json, name="find"),
]
