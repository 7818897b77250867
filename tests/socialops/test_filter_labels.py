"""Every filter a page shows has a label people can read: django-filter labels a filter
with a `method` and no model field "[invalid name]" unless it is given one."""

from __future__ import annotations

import importlib
from pathlib import Path

import django_filters
import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


def _filtersets() -> list[type[django_filters.FilterSet]]:
    root = Path(settings.BASE_DIR)
    for path in root.glob("*/**/filters.py"):
        if ".venv" in path.parts:
            continue
        importlib.import_module(".".join(path.relative_to(root).with_suffix("").parts))
    found, queue = [], list(django_filters.FilterSet.__subclasses__())
    while queue:
        cls = queue.pop()
        queue += cls.__subclasses__()
        if cls.__module__.split(".")[0] in {
            "listening",
            "campaigns",
            "departments",
            "metrics",
            "prospects",
            "socialops",
        }:
            found.append(cls)
    return found


def test_every_filter_has_a_readable_label(rf, admin_user):
    filtersets = _filtersets()
    assert len(filtersets) >= 5
    request = rf.get("/")
    request.user = admin_user
    unreadable = [
        f"{cls.__module__}.{cls.__name__}.{name}"
        for cls in filtersets
        for name, field in cls(
            request=request, queryset=cls._meta.model.objects.none()
        ).form.fields.items()
        if "[invalid name]" in str(field.label)
    ]
    assert unreadable == []
