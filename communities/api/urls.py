from django.urls import path

from . import views

app_name = "communities-api"

urlpatterns = [
    path("communities/", views.CommunityListView.as_view(), name="community-list"),
    path("communities/<slug:slug>/", views.CommunityDetailView.as_view(), name="community-detail"),
]
