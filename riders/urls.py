from django.urls import include, path

from .views import passes, registration

app_name = "riders"

urlpatterns = [
    path("r/<str:code>/", registration.gate_register, name="register"),
    path("pass/", passes.pass_page, name="pass"),
    path("pass/tokens", passes.pass_tokens, name="pass_tokens"),
]
urlpatterns += [path("", include("riders.staff_urls"))]
