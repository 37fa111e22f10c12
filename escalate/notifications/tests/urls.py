"""The project's URLs with the notifications pages mounted, until config/urls.py mounts them."""

from django.urls import include, path

from config.urls import urlpatterns as project_urlpatterns

_mounted = any(
    getattr(pattern, "namespace", None) == "notifications" for pattern in project_urlpatterns
)
urlpatterns = [*project_urlpatterns]
if not _mounted:
    urlpatterns.append(path("notifications/", include("escalate.notifications.urls")))
