from django.contrib.auth.views import LogoutView
from django.urls import path

from .views import access, feedback, owners, public, roll, staff

app_name = "governance"

urlpatterns = [
    path("", owners.index, name="index"),
    path("login/", owners.OwnerLoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(next_page="governance:login"), name="logout"),
    path("login/phone/", access.login_phone, name="login_phone"),
    path("login/code/", access.login_code, name="login_code"),
    path("invite/<str:token>/", access.invite, name="invite"),
    path("feedback/<slug:slug>/", feedback.feedback_new, name="feedback_new"),
    path("feedback/status/<str:token>/", feedback.feedback_status, name="feedback_status"),
    path("<int:pk>/", owners.detail, name="detail"),
    path("<int:pk>/cast", owners.cast, name="cast"),
    path("<int:pk>/participation.json", owners.participation, name="participation"),
    path("<int:pk>/result", public.result, name="result"),
    path("<int:pk>/result/<str:which>.csv", public.result_csv, name="result_csv"),
    path("staff/<slug:slug>/", staff.resolution_list, name="staff_list"),
    path("staff/<slug:slug>/roll/", roll.roll_page, name="roll_import"),
    path("staff/<slug:slug>/feedback/", feedback.staff_feedback, name="staff_feedback"),
    path(
        "staff/<slug:slug>/feedback/<int:pk>/",
        feedback.staff_feedback_triage,
        name="staff_feedback_triage",
    ),
    path("staff/<slug:slug>/notices/", feedback.staff_notices, name="staff_notices"),
    path("staff/<slug:slug>/<int:pk>/", staff.resolution_detail, name="staff_detail"),
    path("staff/<slug:slug>/<int:pk>/ballots.csv", staff.ballots_csv, name="ballots_csv"),
    *[
        path(
            f"staff/<slug:slug>/<int:pk>/{action}",
            staff.resolution_action,
            {"action": action},
            name=f"staff_{action}",
        )
        for action in ("open", "close", "handoff")
    ],
]
