"""The certificate PDF: rendered to an image (pdftoppm) and its text extracted (pdftotext) to
find the learner's name, the code and the verification address; who may download it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse

from tests.api.conftest import client_for
from tracker.graduation import verify_url


def text_of(pdf: bytes, tmp_path: Path) -> str:
    source = tmp_path / "certificate.pdf"
    source.write_bytes(pdf)
    result = subprocess.run(
        ["pdftotext", "-layout", str(source), "-"], capture_output=True, check=True, timeout=30
    )
    return result.stdout.decode()


def test_pdf_states_the_facts_and_the_code(world, certificate, tmp_path):
    response = client_for(world.learner).get(f"/api/v1/certificates/{certificate.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = text_of(response.content, tmp_path)
    assert "Lena Learner" in text
    assert certificate.code in text
    assert "ML Engineering & AI" in text and "Spring" in text
    assert "Capstone demo" in text and "lena-capstone.example.org" in text
    assert verify_url(certificate) in text.replace("\n", "")


def test_pdf_renders_to_an_image_with_ink(world, certificate, tmp_path):
    from PIL import Image

    source = tmp_path / "certificate.pdf"
    response = client_for(world.staff).get(f"/api/v1/certificates/{certificate.pk}/pdf/")
    source.write_bytes(response.content)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "100", "-singlefile", str(source), str(tmp_path / "page")],
        check=True,
        timeout=60,
    )
    image = Image.open(tmp_path / "page.png").convert("L")
    width, height = image.size
    assert width > height  # landscape
    # The QR code (38 mm square, 20 mm from the lower left corner of the 297 x 210 mm page)
    # is a mix of dark and light modules, not an empty square.
    box = (width * 22 / 297, height * 154 / 210, width * 56 / 297, height * 188 / 210)
    square = image.crop(tuple(int(edge) for edge in box))
    pixels = list(square.tobytes())
    dark = sum(1 for value in pixels if value < 100) / len(pixels)
    assert 0.25 < dark < 0.75
    # Elsewhere the margin below the frame is blank paper.
    margin = list(image.crop((0, height - 8, width, height)).tobytes())
    assert sum(1 for value in margin if value < 100) == 0


def test_names_beyond_latin_1_are_printed(world, certificate, tmp_path):
    certificate.learner_name = "Łucja Żółć-Nguyễn"
    certificate.save()
    pdf = client_for(world.learner).get(f"/api/v1/certificates/{certificate.pk}/pdf/").content
    assert "Łucja Żółć-Nguyễn" in text_of(pdf, tmp_path)


def test_the_page_download_for_the_learner(client, world, certificate):
    client.force_login(world.learner)
    response = client.get(reverse("certificate_pdf", args=[certificate.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert "attachment" in response["Content-Disposition"]


@pytest.mark.parametrize("who", ["other_learner", "other_mentor"])
def test_someone_else_cannot_download(client, world, certificate, who):
    client.force_login(world.user(who))
    assert client.get(reverse("certificate_pdf", args=[certificate.pk])).status_code == 404


def test_poppler_is_installed():
    assert shutil.which("pdftotext") and shutil.which("pdftoppm")


def test_the_qr_code_carries_the_verification_address(world, certificate, tmp_path):
    """Read back module by module from the rendered page, the printed QR code is exactly what an
    independent encoder (the ``qrcode`` package) makes of the verification address."""
    import qrcode
    from PIL import Image

    source = tmp_path / "certificate.pdf"
    source.write_bytes(
        client_for(world.learner).get(f"/api/v1/certificates/{certificate.pk}/pdf/").content
    )
    subprocess.run(
        ["pdftoppm", "-png", "-r", "200", "-singlefile", str(source), str(tmp_path / "page")],
        check=True,
        timeout=60,
    )
    image = Image.open(tmp_path / "page.png").convert("L")
    address = verify_url(certificate)

    def encoded(**options) -> qrcode.QRCode:
        code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0, **options)
        code.add_data(address, optimize=0)
        code.make(fit="version" not in options)
        return code

    version = encoded().version
    count = 17 + 4 * version
    # The code is 38 mm square (with a four-module quiet zone) 20 mm from the page's lower left.
    per_mm = image.width / 297
    module = 38 * per_mm / (count + 8)
    left, top = 20 * per_mm, image.height - 58 * per_mm
    printed = [
        [
            image.getpixel((int(left + (4 + x + 0.5) * module), int(top + (4 + y + 0.5) * module)))
            < 128
            for x in range(count)
        ]
        for y in range(count)
    ]
    # Encoders may pick different (equally valid) masks: one of the eight must match.
    assert any(
        encoded(version=version, mask_pattern=mask).get_matrix() == printed for mask in range(8)
    )
