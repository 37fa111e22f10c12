"""The site's URLs with the API mounted, for the API's tests until config/urls.py mounts it."""

from django.urls import include, path

from config import urls as site

_mounted = any(getattr(pattern, "app_name", None) == "api" for pattern in site.urlpatterns)
urlpatterns = list(site.urlpatterns)
if not _mounted:
    urlpatterns.insert(0, path("api/", include("escalate.api.urls")))
