"""An answer on its way out: status, body, content type, headers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

JSON = "application/json; charset=utf-8"
PROBLEM_JSON = "application/problem+json"  # X's content type for problem details


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = JSON
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(
        cls,
        status: int,
        payload: object,
        content_type: str = JSON,
        headers: dict[str, str] | None = None,
    ) -> Response:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        return cls(status, body, content_type, dict(headers or {}))
