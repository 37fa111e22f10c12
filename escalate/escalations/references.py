"""Escalation references: ``NEL-2026-000123``, numbered per partnership and year.

The prefix is the partnership's code, so references stay unique across the whole
table while each partnership counts on its own row of ``ReferenceCounter``: two
partnerships raising at once never wait on each other. References issued before
partnerships had codes keep their ``ESC-2026-000123`` form (decision record 0006).
"""

from __future__ import annotations

from django.db import connection

from escalate.policies.models import Partnership, ReferenceCounter

NUMBER_DIGITS = 6


def format_reference(*, code: str, year: int, number: int) -> str:
    """The reference for the ``number``-th escalation a partnership raised in ``year``."""
    return f"{code}-{year}-{number:0{NUMBER_DIGITS}d}"


def next_reference(*, partnership: Partnership, year: int) -> str:
    """Take the partnership's next number for the year; call inside the raise's transaction.

    The counter row stays locked until that transaction ends, so a second raise in the
    same partnership waits for the first and then counts on from it.
    """
    return format_reference(
        code=partnership.code, year=year, number=_take_number(partnership.pk, year)
    )


def _take_number(partnership_id: int, year: int) -> int:
    # One statement that creates the year's row or counts it on, race-safely: a second
    # insert of the same (partnership, year) waits on the first and then updates it.
    table = ReferenceCounter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (partnership_id, year, last_number) VALUES (%s, %s, 1) "  # noqa: S608 - the table name is the model's own
            "ON CONFLICT (partnership_id, year) "
            f"DO UPDATE SET last_number = {table}.last_number + 1 "
            "RETURNING last_number",
            [partnership_id, year],
        )
        (number,) = cursor.fetchone()
    return int(number)
