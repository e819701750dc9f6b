from django.urls import path

from . import views

urlpatterns = [
    path("keys", views.keys, name="riders-keys"),
    path("gates/verify", views.verify, name="riders-verify"),
    path(
        "platform/riders/<str:platform_rider_id>/deactivate",
        views.platform_rider_deactivate_view,
        name="riders-platform-deactivate",
    ),
]
