from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from escalate.common import health, metrics, public_pages, second_factor
from escalate.common.oidc import SignInView
from escalate.common.views import sign_out_everywhere, start
from escalate.escalations import subject_access_views

urlpatterns = [
    path("", include("escalate.policies.urls")),
    path("sign-in/", SignInView.as_view(), name="login"),
    path("", include("escalate.common.urls")),  # sign-in with an organisation's account
    path("sign-in/second-factor/", second_factor.verify, name="second_factor_verify"),
    path("sign-in/second-factor/set-up/", second_factor.set_up, name="second_factor_set_up"),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path("sign-out/everywhere/", sign_out_everywhere, name="sign_out_everywhere"),
    path("start/", start, name="start"),
    path(
        "accessibility-statement/",
        public_pages.accessibility_statement,
        name="accessibility_statement",
    ),
    path("privacy-notice/", public_pages.privacy_notice, name="privacy_notice"),
    path("escalations/", include("escalate.escalations.urls")),
    path("escalations/", include("escalate.escalations.document_urls")),
    path("register/", include("escalate.reporting.urls")),
    path("board/", include("escalate.board.urls")),
    path("directory/", include("escalate.organisations.urls")),
    path("account/", include("escalate.organisations.account_urls")),
    path("subject-access/", subject_access_views.search, name="subject_access"),
    path("subject-access/<int:pk>.json", subject_access_views.export, name="subject_access_export"),
    path("api/", include("escalate.api.urls")),
    path("notifications/", include("escalate.notifications.urls")),
    path("admin/", admin.site.urls),
    # For the load balancer and Prometheus; answered by escalate.common.health's middleware
    # before the Host check and sessions (decision 27), and resolved here like any page.
    path("health/live/", health.live, name="health_live"),
    path("health/ready/", health.ready, name="health_ready"),
    path("health/serving/", health.serving, name="health_serving"),
    path("metrics", metrics.scrape, name="metrics"),
]
