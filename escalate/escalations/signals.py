"""What the escalations app tells other apps that Django's model signals cannot."""

from __future__ import annotations

from django.dispatch import Signal

cases_written_in_bulk = Signal()
"""Sent after rows were written without ``save()`` (the bulk seeder), with ``months``: each
(partnership id, a raise day) whose cases were written. Sent inside the writer's
transaction, so what a receiver writes commits or rolls back with the cases."""
