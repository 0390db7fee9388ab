"""URL converters."""
from __future__ import annotations

from werkzeug.routing import IntegerConverter

from portal.core.web import MAX_ID


class IdConverter(IntegerConverter):
    """`<int:...>` bounded to the database's id range: a larger number does not match (404)."""

    def __init__(self, map, fixed_digits=0, min=1, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)
