from django.contrib import admin
from django.urls import include, path

from .health import healthz

urlpatterns = [
    path("", include("accounts.urls")),
    path("", include("pairing.urls")),
    path("activities/", include("activities.urls")),
    path("volunteers/", include("volunteers.urls")),
    path("reports/", include("reports.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("twinning.api")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
]

# Uploaded files (agreements, photos) are never served from a public /media/ URL:
# each app serves its files through a view that applies the scope rule.
