"""The board's figures kept per partnership and month, so a long period is summed, not counted.

A tally holds one month's counts of one breakdown (``figures.TALLIED``): the same numbers
the dashboard would count from the cases raised in that month. Whatever writes a case
raised in a month also writes a ``FigureChange`` for it (``board/tallies.py``), and a
month with a change waiting is counted from its cases until a worker counts it again.
"""

from __future__ import annotations

from django.db import models

from escalate.policies.models import Partnership


class FigureTally(models.Model):
    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="The first day of the month its cases were raised in.")
    grouping = models.CharField(max_length=20)
    key = models.JSONField(help_text="The grouping's values, in the grouping's column order.")
    count = models.PositiveIntegerField()

    class Meta:
        indexes = [
            models.Index(
                fields=["partnership", "month"],
                name="figure_tally_month",
                include=["grouping", "key", "count"],
            )
        ]

    def __str__(self) -> str:
        return f"{self.grouping} {self.key} in {self.month:%b %Y}: {self.count}"


class FigureChange(models.Model):
    """A write to a case raised in ``month`` that the month's tallies do not count yet.

    Rows are only ever inserted by writers and deleted by the recount that counted them,
    so writers never wait on each other or on a recount.
    """

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()

    class Meta:
        indexes = [models.Index(fields=["partnership", "month"], name="figure_change_month")]

    def __str__(self) -> str:
        return f"Change to {self.month:%b %Y}"
