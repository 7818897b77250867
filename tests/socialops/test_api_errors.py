from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError

from socialops.drf import exception_handler


def test_service_errors_become_api_answers():
    response = exception_handler(ValidationError({"target": ["Enter a number."]}), {})
    assert (response.status_code, response.data) == (400, {"target": ["Enter a number."]})
    response = exception_handler(ValidationError("Nope."), {})
    assert response.data == {"non_field_errors": ["Nope."]}
    assert exception_handler(PermissionDenied("Not yours."), {}).status_code == 403


def test_a_write_race_is_a_conflict_not_a_500():
    response = exception_handler(IntegrityError("duplicate key"), {})
    assert response.status_code == 409
    assert "reload" in response.data["detail"]
