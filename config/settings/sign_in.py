"""Settings for single sign-on (OpenID Connect)."""
