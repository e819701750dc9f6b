from django.urls import path

from . import api

urlpatterns = [
    path("gates/heartbeat", api.heartbeat, name="gate_heartbeat"),
    path("gates/sync", api.pull, name="gate_sync"),
]
