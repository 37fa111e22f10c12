from django.urls import path

from escalate.notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.notification_list, name="list"),
    path("read/", views.mark_all_read, name="mark_all_read"),
    path("<id:pk>/read/", views.mark_read, name="mark_read"),
    path("preferences/", views.preferences, name="preferences"),
    path("failed/", views.failed_deliveries, name="failed"),
    path("failed/<id:pk>/retry/", views.retry, name="retry"),
]
