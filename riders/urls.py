from django.urls import include, path

from .views import passes, privacy, registration

app_name = "riders"

urlpatterns = [
    path("r/<str:code>/", registration.gate_register, name="register"),
    path("pass/", passes.pass_page, name="pass"),
    path("pass/tokens", passes.pass_tokens, name="pass_tokens"),
    path("pass/my-data/", privacy.my_data, name="my_data"),
    path("pass/my-data/erase", privacy.my_data_erase, name="my_data_erase"),
    path(
        "pass/my-data/devices/<int:device_id>/remove",
        privacy.my_device_remove,
        name="my_device_remove",
    ),
]
urlpatterns += [path("", include("riders.staff_urls"))]
