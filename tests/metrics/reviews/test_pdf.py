"""The review's PDF: made offline by WeasyPrint, every department and KPI name in its
text (pdftotext), the frozen JSON embedded, served to everyone in the organisation."""

from __future__ import annotations

import shutil
import subprocess
import zlib

import pytest
from django.urls import reverse

from metrics.reviews import pdf, services
from tests.metrics.reviews.conftest import MONDAY, SUNDAY

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(bool(pdf.missing()), reason="WeasyPrint cannot run here"),
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils)"),
]


def _text(data: bytes, tmp_path) -> str:
    path = tmp_path / "review.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def _embedded_files(data: bytes) -> list[bytes]:
    """The PDF's streams, inflated: the attached JSON is one of them."""
    out = []
    for chunk in data.split(b"stream\n")[1:]:
        body = chunk.split(b"endstream")[0].strip(b"\r\n")
        try:
            out.append(zlib.decompress(body))
        except zlib.error:
            out.append(body)
    return out


@pytest.fixture
def closed(week, representative, admin_user):
    review, _ = services.review_open(week_start=MONDAY)
    services.commentary_save(
        actor=representative, review=review, kpi=week["clicks_kpi"], text="The ad was paused."
    )
    return services.review_close(actor=admin_user, review=review, today=SUNDAY)


def test_the_pdf_names_every_department_and_kpi_and_embeds_the_json(closed, tmp_path):
    assert closed.frozen_pdf
    data = bytes(closed.frozen_pdf)
    assert data.startswith(b"%PDF")
    text = _text(data, tmp_path)
    for name in ("Marketing", "Sales", "Link clicks", "Demo calls", "The ad was paused."):
        assert name in text
    assert "2026-W47" in text
    streams = _embedded_files(data)
    assert closed.frozen_json.encode() in streams


def test_everyone_downloads_the_stored_pdf(client, closed, representative, colleague, admin_user):
    url = reverse("reviews:pdf", kwargs={"week": closed.week})
    for user in (representative, colleague, admin_user):
        client.force_login(user)
        answer = client.get(url)
        assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
        assert answer.content == bytes(closed.frozen_pdf)
    client.logout()
    assert client.get(url).status_code == 302


def test_an_open_review_downloads_a_draft(client, week, colleague, tmp_path):
    review, _ = services.review_open(week_start=MONDAY)
    client.force_login(colleague)
    answer = client.get(reverse("reviews:pdf", kwargs={"week": review.week}))
    assert answer.status_code == 200 and "draft" in answer["Content-Disposition"]
    assert "Demo calls" in _text(answer.content, tmp_path)
