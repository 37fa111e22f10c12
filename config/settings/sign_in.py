"""Settings for single sign-on (OpenID Connect) with an organisation's own account.

Each partnership can have its own provider (``escalate.common.models.SignInProvider``, set
with ``escalate set_sign_in_provider``; decision 17): the sign-in page then offers "Sign in
with your organisation's account", and the person picks their partnership or gives their
email address. Its client secret is stored encrypted with ESCALATE_SIGN_IN_SECRET_KEYS:
comma-separated Fernet keys, newest first (older keys still decrypt, so a key can be
rotated; make one with ``python -c "from cryptography.fernet import Fernet;
print(Fernet.generate_key().decode())"``). Without any, a key derived from SECRET_KEY is
used, so rotating SECRET_KEY would then need every provider's secret set again.

The instance-wide provider below, from the environment, remains: it is used while no
partnership has a provider of its own, and for an email address no partnership's provider
takes. It is off unless the environment names a client, its secret, the provider's
endpoints and the issuers allowed (``escalate.common.oidc.sso_enabled``).

Microsoft Entra ID (councils and NHS bodies), for an app registration in tenant TENANT:

    OIDC_ENTRA_TENANT_ID=TENANT            fills in every endpoint and the issuer below
    OIDC_RP_CLIENT_ID=<application (client) ID>
    OIDC_RP_CLIENT_SECRET=<client secret value>

which stands for

    OIDC_OP_AUTHORIZATION_ENDPOINT=https://login.microsoftonline.com/TENANT/oauth2/v2.0/authorize
    OIDC_OP_TOKEN_ENDPOINT=https://login.microsoftonline.com/TENANT/oauth2/v2.0/token
    OIDC_OP_JWKS_ENDPOINT=https://login.microsoftonline.com/TENANT/discovery/v2.0/keys
    OIDC_OP_USER_ENDPOINT=https://graph.microsoft.com/oidc/userinfo
    ESCALATE_OIDC_ISSUERS=https://login.microsoftonline.com/TENANT/v2.0

Register the redirect URI https://<host>/sign-in/organisation/callback/ and add the
optional ``email`` claim to the ID token (Escalate otherwise uses ``preferred_username``).
Where several organisations' tenants sign in, list each tenant's issuer in
ESCALATE_OIDC_ISSUERS, comma-separated: a token from any other tenant is refused, since
that tenant's administrators could give an account anybody's email address.

Second factor: a sign-in whose ID token reports Entra ID's own multi-factor
authentication (``amr`` includes ``mfa``, which conditional access can require) counts as
the second factor; any other is asked for Escalate's one-time code as a password sign-in
would be. A partnership's provider can be set not to be trusted for this (``trusts_mfa``);
ESCALATE_SSO_TRUSTS_MFA=off asks for Escalate's code every time, whatever the providers say.
"""

# Read while base.py is being executed, at its end: these names are already set there.
from .base import AUTHENTICATION_BACKENDS, env, env_flag

_ENTRA_TENANT = env("OIDC_ENTRA_TENANT_ID") or ""
_ENTRA = f"https://login.microsoftonline.com/{_ENTRA_TENANT}" if _ENTRA_TENANT else ""


def _entra(path: str) -> str:
    return f"{_ENTRA}{path}" if _ENTRA else ""


OIDC_RP_CLIENT_ID = env("OIDC_RP_CLIENT_ID") or ""
OIDC_RP_CLIENT_SECRET = env("OIDC_RP_CLIENT_SECRET") or ""
OIDC_OP_AUTHORIZATION_ENDPOINT = env("OIDC_OP_AUTHORIZATION_ENDPOINT") or _entra(
    "/oauth2/v2.0/authorize"
)
OIDC_OP_TOKEN_ENDPOINT = env("OIDC_OP_TOKEN_ENDPOINT") or _entra("/oauth2/v2.0/token")
OIDC_OP_JWKS_ENDPOINT = env("OIDC_OP_JWKS_ENDPOINT") or _entra("/discovery/v2.0/keys")
OIDC_OP_USER_ENDPOINT = env("OIDC_OP_USER_ENDPOINT") or (
    "https://graph.microsoft.com/oidc/userinfo" if _ENTRA else ""
)
ESCALATE_OIDC_ISSUERS = env("ESCALATE_OIDC_ISSUERS") or _entra("/v2.0")
ESCALATE_SSO_TRUSTS_MFA = env_flag("ESCALATE_SSO_TRUSTS_MFA", default=True)
ESCALATE_SIGN_IN_SECRET_KEYS = env("ESCALATE_SIGN_IN_SECRET_KEYS") or ""

OIDC_RP_SIGN_ALGO = "RS256"
OIDC_RP_SCOPES = "openid email profile"
OIDC_USE_NONCE = True  # the backend acts only on a callback that carries one
OIDC_USE_PKCE = True
OIDC_CREATE_USER = False  # the directory decides who exists
OIDC_STORE_ACCESS_TOKEN = False
OIDC_STORE_ID_TOKEN = False
OIDC_TIMEOUT = 10  # seconds, for each call to the provider
OIDC_AUTHENTICATION_CALLBACK_URL = "sign_in_organisation_callback"

# Always there: it acts only on the sign-in callback, for the provider bound to its state
# (a partnership's) or the instance-wide one above when that is set up.
AUTHENTICATION_BACKENDS = [
    # mypy cannot type base.py's list while base.py is still importing this file.
    *AUTHENTICATION_BACKENDS,  # type: ignore[has-type]
    "escalate.common.oidc.OrganisationAccountBackend",
]
