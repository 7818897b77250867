"""The OpenAPI schema of /api/v1/ builds without warnings, is valid, documents every
route of the router, and its docs page needs nothing from the internet."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from socialops.api import router

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(owner):
    client = APIClient()
    client.force_login(owner)
    return client


@pytest.fixture
def schema(client):
    response = client.get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def documented_routes():
    """(path as the schema writes it, HTTP method) for every action the router serves."""
    for prefix, viewset, _basename in router.registry:
        lookup = getattr(viewset, "lookup_url_kwarg", None) or getattr(
            viewset, "lookup_field", "pk"
        )
        # drf-spectacular names a `pk` lookup after the model's primary key.
        lookup = "id" if lookup == "pk" else lookup
        for route in router.get_routes(viewset):
            path = (
                route.url.replace("{prefix}", prefix)
                .replace("{lookup}", "{" + lookup + "}")
                .replace("{trailing_slash}", "/")
                .strip("^$")
            )
            for method, action in route.mapping.items():
                if hasattr(viewset, action):
                    yield f"/api/v1/{path}", method


def test_schema_command_builds_without_warnings(tmp_path, capsys):
    GENERATOR_STATS.reset()

    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml")
    )

    assert "Warning" not in capsys.readouterr().err
    assert (tmp_path / "schema.yml").read_text().startswith("openapi: 3.")


def test_schema_endpoint_serves_valid_openapi_3(schema):
    validate_schema(schema)
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "SocialOps API"


def test_every_route_of_the_router_is_documented(schema):
    routes = list(documented_routes())
    assert len(routes) > len(router.registry)  # the router really has routes to check

    missing = [
        f"{method.upper()} {path}"
        for path, method in routes
        if method not in schema["paths"].get(path, {})
    ]

    assert not missing, f"not in the schema: {missing}"


def test_every_registered_prefix_appears(schema):
    for prefix, _viewset, _basename in router.registry:
        assert f"/api/v1/{prefix}/" in schema["paths"]


def test_organisation_is_documented_as_one_object(schema):
    response = schema["paths"]["/api/v1/organisation/"]["get"]["responses"]["200"]

    assert response["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Organisation"
    }


def test_writes_are_documented_with_their_answer_shape(schema):
    goals = schema["paths"]["/api/v1/goals/"]["post"]

    assert goals["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Goal"
    }
    request = goals["requestBody"]["content"]["application/json"]["schema"]
    assert request == {"$ref": "#/components/schemas/GoalCreateRequest"}


def test_docs_render_from_local_assets_only(client):
    # Only Swagger UI is served: drf-spectacular's Redoc page links Google Fonts.
    response = client.get("/api/v1/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    assert not re.findall(r"https?://", html), "the docs page loads something from the internet"


@pytest.mark.django_db
def test_schema_and_docs_are_public_but_data_is_not():
    anonymous = APIClient()
    assert anonymous.get("/api/v1/schema/").status_code == 200
    assert anonymous.get("/api/v1/docs/").status_code == 200
    assert anonymous.get("/api/v1/departments/").status_code == 401
