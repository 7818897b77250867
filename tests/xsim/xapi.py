"""X's published material in ``../shared/xapi`` (never copied into the repository) and a
validator for X's OpenAPI 3.0 description.

The OpenAPI document is turned into plain JSON Schema once: ``nullable: true`` becomes
``anyOf [..., null]``, and a ``discriminator`` with a ``mapping`` becomes ``if``/``then``
branches, so an error with ``"type": ".../resource-not-found"`` must also satisfy
``ResourceNotFoundProblem`` (jsonschema ignores discriminators otherwise). ``$ref``s
resolve against the whole document through a ``referencing`` registry.
"""

from __future__ import annotations

import copy
import json
import os
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_XAPI = REPO_ROOT.parent / "shared" / "xapi"
BASE_URI = "urn:x-openapi"


def xapi_dir() -> Path:
    """The shared folder; outside CI a missing folder skips the test, in CI it fails."""
    if (SHARED_XAPI / "openapi.json").exists():
        return SHARED_XAPI
    message = f"X's OpenAPI description and recordings are not at {SHARED_XAPI}"
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI must provide ../shared/xapi)")
    pytest.skip(f"{message}; skipped outside CI")


def recordings() -> list[Path]:
    return sorted((SHARED_XAPI / "recordings").glob("*.json")) if SHARED_XAPI.exists() else []


def _walk(node: Any) -> Any:
    if isinstance(node, list):
        return [_walk(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _walk(value) for key, value in node.items()}
    if node.pop("nullable", False):
        return {"anyOf": [node, {"type": "null"}]}
    return node


def _replace_ref(node: Any, old: str, new: str) -> Any:
    if isinstance(node, list):
        return [_replace_ref(item, old, new) for item in node]
    if isinstance(node, dict):
        return {
            k: (new if k == "$ref" and v == old else _replace_ref(v, old, new))
            for k, v in node.items()
        }
    return node


def to_json_schema(openapi: dict[str, Any]) -> dict[str, Any]:
    doc = _walk(copy.deepcopy(openapi))
    schemas = doc["components"]["schemas"]
    for name in list(schemas):
        schema = schemas[name]
        discriminator = schema.get("discriminator") if isinstance(schema, dict) else None
        if not discriminator or "mapping" not in discriminator:
            continue
        base_name = f"{name}__base"
        ref, base_ref = f"#/components/schemas/{name}", f"#/components/schemas/{base_name}"
        schemas[base_name] = {k: v for k, v in schema.items() if k != "discriminator"}
        prop = discriminator["propertyName"]
        # The mapped schemas extend the base ("allOf: [Problem, ...]"); point them at the
        # base so checking a branch does not recurse into the discriminator again.
        for target in set(discriminator["mapping"].values()):
            target_name = target.rsplit("/", 1)[-1]
            schemas[target_name] = _replace_ref(schemas[target_name], ref, base_ref)
        schemas[name] = {
            "allOf": [
                {"$ref": base_ref},
                *(
                    {
                        "if": {"properties": {prop: {"const": value}}, "required": [prop]},
                        "then": {"$ref": target},
                    }
                    for value, target in discriminator["mapping"].items()
                ),
            ]
        }
    return doc


FORMATS = FormatChecker()


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if "T" not in value or not (value.endswith("Z") or "+" in value[10:]):
        raise ValueError(f"not an RFC 3339 date-time: {value!r}")
    datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


@FORMATS.checks("uri", raises=ValueError)
def _uri(value: object) -> bool:
    if isinstance(value, str):
        parts = urlsplit(value)
        if not parts.scheme or not parts.netloc:
            raise ValueError(f"not an absolute URI: {value!r}")
    return True


class OpenApi:
    def __init__(self, path: Path) -> None:
        self.raw = json.loads(path.read_text())
        self.doc = to_json_schema(self.raw)
        resource = Resource.from_contents(self.doc, default_specification=DRAFT202012)
        self.registry = Registry().with_resource(BASE_URI, resource)

    def response_pointer(self, template: str, method: str, status: int, content_type: str) -> str:
        """The JSON pointer of the response schema X declares for this answer."""
        operation = self.raw["paths"][template][method.lower()]
        key = str(status) if str(status) in operation["responses"] else "default"
        content = operation["responses"][key]["content"]
        media = content_type.split(";")[0].strip()
        if media not in content:
            raise AssertionError(
                f"{method} {template} {status}: X declares no {media} body ({list(content)})"
            )
        path = template.replace("~", "~0").replace("/", "~1")
        media = media.replace("/", "~1")
        return f"#/paths/{path}/{method.lower()}/responses/{key}/content/{media}/schema"

    def validate(
        self, template: str, method: str, status: int, content_type: str, body: Any
    ) -> None:
        pointer = self.response_pointer(template, method, status, content_type)
        validator = Draft202012Validator(
            {"$ref": BASE_URI + pointer}, registry=self.registry, format_checker=FORMATS
        )
        errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
        if errors:
            details = "\n".join(
                f"- at /{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}"
                for e in errors[:10]
            )
            raise AssertionError(
                f"{method} {template} {status} does not match X's schema:\n{details}"
            )


@cache
def openapi() -> OpenApi:
    return OpenApi(xapi_dir() / "openapi.json")
