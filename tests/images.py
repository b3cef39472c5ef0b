"""Real image files made with Pillow, for upload tests."""

import io

from PIL import Image


def png_bytes(width: int = 8, height: int = 8) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (178, 34, 34)).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_bytes(width: int = 8, height: int = 8) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (233, 185, 73)).save(buffer, format="JPEG")
    return buffer.getvalue()
