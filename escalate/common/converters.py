"""Path converters: a row id in an address is 1 to 18 digits, so it always fits a bigint.

Django's ``int`` converter matches any run of digits; a twenty-digit id reached the
database, which refused it (PostgreSQL: "out of range"), and the page was a server error.
Registered as ``<id:...>`` by ``CommonConfig.ready``, before any URLconf is read.
"""

from __future__ import annotations


class IdConverter:
    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)
