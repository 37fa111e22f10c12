"""The API's JSON parser: DRF's, with a body nested too deep for Python refused as bad JSON.

``json.loads`` raises ``RecursionError`` (not ``ValueError``) on a few thousand nested
brackets, which DRF does not turn into a parse error: the request was a server error.
"""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class BoundedJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply.") from None
