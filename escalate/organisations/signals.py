"""What the directory tells the apps that hold a person's work."""

from __future__ import annotations

from django.dispatch import Signal

person_leaving = Signal()
"""Sent inside the transaction that makes ``person`` inactive, with ``successor`` (a Person,
or None) and ``actor``: each receiver hands over, or flags, the open work it holds for them.
A receiver that cannot raises ``DirectoryRefused``, and nothing is changed."""
