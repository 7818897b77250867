"""The request parsers settings.REST_FRAMEWORK names. Imported while DRF builds its views,
so it imports nothing of ours."""

from __future__ import annotations

from rest_framework import exceptions, parsers

MAX_JSON_DEPTH = 32


def _nested_deeper_than(data: object, limit: int) -> bool:
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with a nesting limit. The json module recurses once per level,
    so a body of a few thousand `[` raised RecursionError (a 500); no request of the API
    nests more than three levels, and anything past MAX_JSON_DEPTH is a 400."""

    def parse(self, stream, media_type=None, parser_context=None):
        message = f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels."
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(message) from None
        if _nested_deeper_than(data, MAX_JSON_DEPTH):
            raise exceptions.ParseError(message)
        return data
