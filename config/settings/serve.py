"""``make serve``: the production settings, over plain http on this machine only (decision 28).

Everything production refuses is still refused (SQLite, a per-process cache, a short secret).
Only what a browser on 127.0.0.1 needs without TLS is changed: no redirect to https, no HSTS,
cookies not marked Secure. So these settings can never serve a real deployment, they refuse
any host name other than loopback's. Mail is written to files under var/serve/mail/, since
a laptop has no mail relay and every notification would otherwise be retried for hours.
"""

from django.core.exceptions import ImproperlyConfigured

from .production import *  # noqa: F403
from .production import ALLOWED_HOSTS, BASE_DIR

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})

_elsewhere = sorted(set(ALLOWED_HOSTS) - LOOPBACK_HOSTS)
if _elsewhere:
    raise ImproperlyConfigured(
        "config.settings.serve answers only on this machine (DJANGO_ALLOWED_HOSTS may name "
        f"127.0.0.1, localhost and [::1]), not {', '.join(_elsewhere)}: a real deployment "
        "uses config.settings.production behind TLS (docs/deployment.md)."
    )

SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = False
SECURE_HSTS_PRELOAD = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False

EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = str(BASE_DIR / "var" / "serve" / "mail")
