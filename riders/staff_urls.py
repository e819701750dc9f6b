"""Staff pages for riders (guard console, rider search, posters); included from riders/urls.py."""

from django.contrib.auth.views import LogoutView
from django.urls import path

from .staff_views import gates, guard, rider_page, rider_queue

urlpatterns = [
    path("guard/", guard.guard_home, name="guard_home"),
    path("guard/login/", guard.GuardLoginView.as_view(), name="guard_login"),
    path("guard/logout/", LogoutView.as_view(next_page="riders:guard_login"), name="guard_logout"),
    path("guard/<str:code>/", guard.guard_console, name="guard_console"),
    path("guard/<str:code>/events", guard.guard_events, name="guard_events"),
    path("staff/gates/<int:gate_id>/rotate", gates.gate_rotate, name="gate_rotate"),
    path(
        "staff/gates/<int:gate_id>/poster.<str:fmt>",
        gates.gate_poster,
        name="gate_poster",
    ),
    path("staff/gates/posters.zip", gates.gate_posters_zip, name="gate_posters_zip"),
    path("staff/riders/", rider_queue.rider_search, name="staff_riders"),
    path("staff/riders/bulk", rider_queue.grants_bulk, name="staff_grants_bulk"),
    path("staff/riders/<int:rider_id>/", rider_page.rider_detail, name="staff_rider"),
    path(
        "staff/riders/<int:rider_id>/grants/<int:grant_id>/<str:action>",
        rider_page.grant_action,
        name="staff_grant_action",
    ),
]
