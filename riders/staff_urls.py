"""Staff pages for riders (guard console, rider search, posters); included from riders/urls.py."""

from django.contrib.auth.views import LogoutView
from django.urls import path

from . import staff_views

urlpatterns = [
    path("guard/", staff_views.guard_home, name="guard_home"),
    path("guard/login/", staff_views.GuardLoginView.as_view(), name="guard_login"),
    path("guard/logout/", LogoutView.as_view(next_page="riders:guard_login"), name="guard_logout"),
    path("guard/<str:code>/", staff_views.guard_console, name="guard_console"),
    path("guard/<str:code>/events", staff_views.guard_events, name="guard_events"),
    path("staff/gates/<int:gate_id>/rotate", staff_views.gate_rotate, name="gate_rotate"),
    path(
        "staff/gates/<int:gate_id>/poster.<str:fmt>",
        staff_views.gate_poster,
        name="gate_poster",
    ),
    path("staff/gates/posters.zip", staff_views.gate_posters_zip, name="gate_posters_zip"),
    path("staff/riders/", staff_views.rider_search, name="staff_riders"),
    path("staff/riders/bulk", staff_views.grants_bulk, name="staff_grants_bulk"),
    path("staff/riders/<int:rider_id>/", staff_views.rider_detail, name="staff_rider"),
    path(
        "staff/riders/<int:rider_id>/grants/<int:grant_id>/<str:action>",
        staff_views.grant_action,
        name="staff_grant_action",
    ),
]
