from django.urls import path

from . import views

app_name = "coordination"

urlpatterns = [
    path("c/<slug:slug>/agreed/", views.agreed, name="agreed"),
    path("c/<slug:slug>/friendliness/", views.friendliness, name="friendliness"),
    path("coordination/polls/<int:pk>/", views.poll_page, name="poll"),
    path("coordination/office/", views.office_index, name="office_index"),
    path("coordination/office/<slug:slug>/", views.office_community, name="office_community"),
    path("coordination/staff/", views.staff_index, name="staff_index"),
    path("coordination/staff/<slug:slug>/", views.staff_community, name="staff_community"),
    path("coordination/staff/<slug:slug>/meetings/<int:pk>/", views.meeting, name="meeting"),
    path(
        "coordination/staff/<slug:slug>/actions/<int:pk>/status",
        views.action_status,
        name="action_status",
    ),
    path(
        "coordination/staff/<slug:slug>/polls/<int:pk>/attach",
        views.poll_attach,
        name="poll_attach",
    ),
]
