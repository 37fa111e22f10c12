"""Settings for the audit history's keyed hash chains (escalate/audit; decision 22).

ESCALATE_AUDIT_KEYS: comma-separated secrets, newest first. The newest signs every new event
and checkpoint; older ones still verify what they signed, so a key can be rotated by putting
a new one in front. Keep them outside the database (the environment, a secrets store): the
chain proves nothing against someone who holds both the database and the key. Without any,
a key derived from SECRET_KEY is used and ``escalate check --deploy`` warns (audit.W001); that
is for the demo and tests only (changing SECRET_KEY would then leave the history unverifiable).
Make one with ``python -c "import secrets; print(secrets.token_hex(32))"``.

Imported at the end of ``base.py``; the environment is read there, through env().
"""

from .base import env

ESCALATE_AUDIT_KEYS = env("ESCALATE_AUDIT_KEYS") or ""
