"""A resident's photo is stored as a clean JPEG and served back as a picture, never as a page."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.images import png_bytes

from .. import services

pytestmark = pytest.mark.django_db


def test_a_page_disguised_as_a_photo_comes_back_as_a_plain_picture(client, world, community, resident):
    disguised = SimpleUploadedFile("look.html", png_bytes(24, 24) + b"<script>alert(1)</script>", content_type="text/html")
    item = services.feedback_submit(actor=resident, category="environment_sanitation", description="垃圾桶满了", photo=disguised,
                                    public=True)
    assert item.photo.name.endswith(".jpg") and "look" not in item.photo.name
    client.force_login(resident)
    for url in (f"/neighbourhood/feedback/{item.pk}/photo/", f"/open311/v2/media/{item.pk}"):
        response = client.get(url)
        body = b"".join(response.streaming_content)
        assert response.status_code == 200, url
        assert response["Content-Type"] == "image/jpeg" and "sandbox" in response["Content-Security-Policy"]
        assert body.startswith(b"\xff\xd8\xff") and b"<script" not in body
