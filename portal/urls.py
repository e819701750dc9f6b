from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core.media import private_media

from . import views

urlpatterns = [
    # First the busiest: a gate's scan, then the public pages (the rules page, the
    # finder). Django tries the patterns in order and lists every one tried; no two
    # includes here share a route, so the order changes no answer, only the time.
    path("api/v1/", include("riders.api.urls")),
    path("api/v1/", include("gatesync.urls")),
    path("", include("communities.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("lang/<str:code>/", views.language_switch, name="language_switch"),
    path("api/v1/", include("coordination.api.urls")),
    path("api/v1/", include("communities.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("media-p/<path:signed>", private_media, name="private-media"),
    path("vote/", include("governance.urls")),
    path("staff/", include("dashboard.urls")),
    path("", include("coordination.urls")),
    path("", include("riders.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
elif getattr(settings, "SERVE_MEDIA", False):
    # Tests only (live_server runs with DEBUG off): serve uploads such as site maps.
    urlpatterns += [re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT})]
