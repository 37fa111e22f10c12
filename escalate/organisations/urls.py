from django.urls import path

from escalate.organisations import views

app_name = "organisations"
urlpatterns = [
    path("", views.directory, name="directory"),
    path("agencies/new/", views.agency_create, name="agency_create"),
    path("agencies/<id:pk>/edit/", views.agency_edit, name="agency_edit"),
    path("people/new/", views.person_create, name="person_create"),
    path("people/from-elsewhere/", views.person_roles_elsewhere, name="person_roles_elsewhere"),
    path("people/place-elsewhere/", views.person_place_elsewhere, name="person_place_elsewhere"),
    path("people/<id:pk>/edit/", views.person_edit, name="person_edit"),
    path("people/<id:pk>/invite/", views.person_invite, name="person_invite"),
    path("people/<id:pk>/leave/", views.person_leave, name="person_leave"),
    path("import/", views.directory_import, name="import"),
]
