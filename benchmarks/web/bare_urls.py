from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import path


@login_required
def signed_in(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"Signed in as user {request.user.pk}.", content_type="text/plain")


class _Login(auth_views.LoginView):
    template_name = "unused.html"

    def get(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        from django.middleware.csrf import get_token

        return HttpResponse(get_token(request), content_type="text/plain")


urlpatterns = [
    path("login/", _Login.as_view(redirect_authenticated_user=False, next_page="/")),
    path("", signed_in),
]
