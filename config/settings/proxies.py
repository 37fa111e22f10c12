"""The reverse proxies in front of Escalate, whose X-Forwarded-For it believes (issue 15).

ESCALATE_TRUSTED_PROXIES lists the proxies' addresses or networks, comma-separated
(``10.0.0.5,10.1.0.0/16``). A request from one of them is taken to come from the last
address in X-Forwarded-For that is not itself a trusted proxy; a request from anywhere else
is taken to come from its own address, whatever it claims. Empty (the default): nothing in
X-Forwarded-For is believed.

Imported at the end of ``base.py``; the environment is read there, through env().
"""

from .base import env

__all__ = ["ESCALATE_TRUSTED_PROXIES"]

ESCALATE_TRUSTED_PROXIES = [
    network.strip()
    for network in (env("ESCALATE_TRUSTED_PROXIES") or "").split(",")
    if network.strip()
]
