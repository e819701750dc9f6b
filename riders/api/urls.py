from django.urls import path

from . import gate_events, views

urlpatterns = [
    path("keys", views.keys, name="riders-keys"),
    path("gates/verify", views.verify, name="riders-verify"),
    path("gates/events", gate_events.events, name="gate_events"),
    path(
        "platform/riders/<str:platform_rider_id>/deactivate",
        views.platform_rider_deactivate_view,
        name="riders-platform-deactivate",
    ),
]
