from django.urls import path

from escalate.escalations import views

app_name = "escalations"
urlpatterns = [
    path("", views.my_escalations, name="mine"),
    path("<uuid:pk>/", views.escalation_detail, name="detail"),
]
