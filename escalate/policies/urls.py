from django.urls import path

from escalate.policies import views

app_name = "policies"
urlpatterns = [
    path("", views.home, name="home"),
    path("partnerships/<slug:slug>/", views.policy_detail, name="detail"),
]
