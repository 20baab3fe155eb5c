"""Photos are judged by their content, re-encoded, and stripped of every piece of metadata."""

import io
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

from compounds.uploads import MAX_BYTES, checked_image

GPS = ExifTags.IFD.GPSInfo


def jpeg_with_gps(size=(64, 48), orientation: int | None = None) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(GPS)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (35.0, 57.0, 30.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (120.0, 11.0, 5.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def upload(content: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def png_declaring(width: int, height: int) -> bytes:
    """A tiny, well-formed PNG header that claims a huge canvas."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def refusal(content: bytes, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        checked_image(upload(content, **kwargs))
    return caught.value


def test_jpeg_with_gps_comes_out_without_any_exif():
    original = jpeg_with_gps()
    with Image.open(io.BytesIO(original)) as before:
        assert before.getexif().get_ifd(GPS)  # the test file really carries a position
    checked = checked_image(upload(original))
    data = checked.read()
    with Image.open(io.BytesIO(data)) as after:
        assert after.format == "JPEG"
        assert not after.getexif()
        assert "exif" not in after.info and "icc_profile" not in after.info
    assert b"Exif" not in data and b"PhoneMaker" not in data
    assert (checked.width, checked.height) == (64, 48)


def test_exif_orientation_is_applied_before_it_is_dropped():
    # Orientation 6: the camera was turned; the stored 64×48 picture shows upright 48×64.
    checked = checked_image(upload(jpeg_with_gps(orientation=6)))
    assert (checked.width, checked.height) == (48, 64)


def test_name_is_random_and_ends_with_the_real_format():
    first = checked_image(upload(jpeg_with_gps(), name="../../etc/evil.php"))
    second = checked_image(upload(jpeg_with_gps(), name="../../etc/evil.php"))
    assert first.name.endswith(".jpg") and "/" not in first.name and "evil" not in first.name
    assert first.name != second.name
    assert first.content_type == "image/jpeg"


def test_a_script_renamed_jpg_is_refused():
    error = refusal(b"#!/bin/sh\nrm -rf / --no-preserve-root\n", name="photo.jpg")
    assert error.code == "not_an_image"


def test_html_behind_a_png_signature_is_refused():
    error = refusal(b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>" * 4,
                    name="photo.png", content_type="image/png")
    assert error.code == "not_an_image"


def test_a_decompression_bomb_is_refused_before_decoding():
    error = refusal(png_declaring(20000, 20000), name="bomb.png", content_type="image/png")
    assert error.code == "too_many_pixels"
    # Under Pillow's own limit but over ours (41 MP) is refused as well.
    assert refusal(png_declaring(8000, 5125), name="b.png").code == "too_many_pixels"


def test_more_than_ten_megabytes_is_refused():
    error = refusal(b"\xff\xd8\xff" + b"\x00" * MAX_BYTES)
    assert error.code == "file_too_large"
    assert "10 MB" in error.messages[0]


def test_the_size_is_measured_not_taken_from_the_client():
    lying = upload(jpeg_with_gps())
    lying.size = 10  # the declared size is small; the content is not
    with pytest.raises(ValidationError) as caught:
        checked_image(lying, max_bytes=200)
    assert caught.value.code == "file_too_large"


def test_webp_is_accepted_and_re_encoded():
    webp = encode(Image.new("RGB", (30, 20), (0, 120, 0)), "WEBP")
    checked = checked_image(upload(webp, name="x.webp", content_type="image/webp"))
    assert checked.name.endswith(".jpg")
    with Image.open(io.BytesIO(checked.read())) as image:
        assert image.format == "JPEG" and image.size == (30, 20)


def test_png_with_transparency_stays_png_without_text_chunks():
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "secret-location")
    png = encode(Image.new("RGBA", (10, 10), (0, 0, 0, 0)), "PNG", pnginfo=info)
    checked = checked_image(upload(png, name="x.png", content_type="image/png"))
    data = checked.read()
    assert checked.name.endswith(".png") and b"secret-location" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert image.mode == "RGBA"


def test_gif_is_not_among_the_accepted_formats():
    gif = encode(Image.new("P", (5, 5)), "GIF")
    assert refusal(gif, name="x.gif").code == "not_an_image"


def test_large_photos_are_downscaled_to_2560_on_the_long_side():
    big = encode(Image.new("RGB", (4000, 3000), (10, 10, 10)), "JPEG")
    checked = checked_image(upload(big))
    assert (checked.width, checked.height) == (2560, 1920)


def test_a_truncated_jpeg_is_refused():
    whole = encode(Image.new("RGB", (300, 300), (1, 2, 3)), "JPEG")
    assert refusal(whole[: len(whole) // 2]).code == "not_an_image"


def test_an_empty_file_is_refused():
    assert refusal(b"").code == "empty"
