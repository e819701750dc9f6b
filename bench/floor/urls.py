from django.http import HttpRequest, JsonResponse
from django.urls import path


def ok(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


urlpatterns = [path("", ok)]
