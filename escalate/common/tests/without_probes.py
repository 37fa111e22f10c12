"""A URLconf without the probes, as a test may use: its pages must still be served."""

from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.urls import path


def plain(request: HttpRequest) -> HttpResponse:
    return HttpResponse("A page")


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return HttpResponseNotFound("Not found")


urlpatterns = [path("plain/", plain)]
handler404 = not_found
