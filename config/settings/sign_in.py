"""Settings for single sign-on (OpenID Connect) with an organisation's own account.

Off unless the environment names a client, its secret, the provider's endpoints and the
issuers allowed (``escalate.common.oidc.sso_enabled``); then the sign-in page offers
"Sign in with your organisation's account" beside the password form.

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
would be. ESCALATE_SSO_TRUSTS_MFA=off asks for Escalate's code every time.
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

OIDC_RP_SIGN_ALGO = "RS256"
OIDC_RP_SCOPES = "openid email profile"
OIDC_USE_NONCE = True  # the backend acts only on a callback that carries one
OIDC_USE_PKCE = True
OIDC_CREATE_USER = False  # the directory decides who exists
OIDC_STORE_ACCESS_TOKEN = False
OIDC_STORE_ID_TOKEN = False
OIDC_TIMEOUT = 10  # seconds, for each call to the provider
OIDC_AUTHENTICATION_CALLBACK_URL = "sign_in_organisation_callback"

if all(
    (
        OIDC_RP_CLIENT_ID,
        OIDC_RP_CLIENT_SECRET,
        OIDC_OP_AUTHORIZATION_ENDPOINT,
        OIDC_OP_TOKEN_ENDPOINT,
        OIDC_OP_JWKS_ENDPOINT,
        ESCALATE_OIDC_ISSUERS,
    )
):
    AUTHENTICATION_BACKENDS = [
        # mypy cannot type base.py's list while base.py is still importing this file.
        *AUTHENTICATION_BACKENDS,  # type: ignore[has-type]
        "escalate.common.oidc.OrganisationAccountBackend",
    ]
