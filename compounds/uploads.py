"""Checking an uploaded photo by what it is, not by what it is called.

Any app that takes photos from staff or residents passes each file through
`checked_image`: it refuses files that are too big, that are not really JPEG, PNG or
WebP, or that declare more pixels than a phone camera makes (a decompression bomb), and
gives back a fresh encoding of the picture, turned upright, downscaled, and with every
piece of metadata (EXIF, GPS position, camera, comments, ICC profile) left behind.
Nothing of the uploaded bytes is kept, so a file that is both an image and something
else (a script, an HTML page) cannot survive the trip.
"""

import io
import uuid
import warnings

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 40-megapixel picture is already more than phones take
MAX_SIDE = 2560
JPEG_QUALITY = 85
# Pillow names phone JPEGs with several pictures in them (MPO) apart from plain JPEG.
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
ACCEPTED_DECODED = {"JPEG", "MPO", "PNG", "WEBP"}


class CheckedImage(ContentFile):
    """The re-encoded picture: bytes, a random safe name, its size in pixels."""

    def __init__(self, content: bytes, *, name: str, width: int, height: int,
                 content_type: str):
        super().__init__(content, name=name)
        self.width = width
        self.height = height
        self.content_type = content_type


def _read_limited(uploaded_file, max_bytes: int) -> bytes:
    too_big = ValidationError(
        _("A photo may be at most %(mb)s MB.") % {"mb": _megabytes(max_bytes)},
        code="file_too_large",
    )
    declared = getattr(uploaded_file, "size", None)
    if declared is not None and declared > max_bytes:
        raise too_big
    if hasattr(uploaded_file, "seek"):
        uploaded_file.seek(0)
    # Read one byte past the limit: the declared size is the client's word, not a fact.
    data = uploaded_file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise too_big
    if not data:
        raise ValidationError(_("The photo file is empty."), code="empty")
    return data


def _megabytes(max_bytes: int) -> str:
    mb = max_bytes / (1024 * 1024)
    return f"{mb:g}"


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )


def _reencode(image: Image.Image, max_side: int) -> tuple[bytes, str, str, tuple[int, int]]:
    """Upright, downscaled, bare pixels: (bytes, extension, content type, (w, h))."""
    upright = ImageOps.exif_transpose(image)
    keep_alpha = _has_alpha(upright)
    picture = upright.convert("RGBA" if keep_alpha else "RGB")
    picture.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    # A new image from the bare pixels carries no info dict: no EXIF, GPS, XMP or ICC.
    clean = Image.frombytes(picture.mode, picture.size, picture.tobytes())
    out = io.BytesIO()
    if keep_alpha:
        clean.save(out, format="PNG", optimize=True)
        return out.getvalue(), "png", "image/png", clean.size
    clean.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue(), "jpg", "image/jpeg", clean.size


def checked_image(uploaded_file, *, max_bytes: int = MAX_BYTES,
                  max_pixels: int = MAX_PIXELS, max_side: int = MAX_SIDE) -> CheckedImage:
    """The photo, checked and re-encoded, or a ValidationError saying what is wrong.

    Pictures with transparency come back as PNG, all others as JPEG (quality 85); the
    long side is at most `max_side` pixels. Raises ValidationError with code
    "file_too_large" (a caller may answer 413), "empty", "not_an_image",
    "too_many_pixels".
    """
    data = _read_limited(uploaded_file, max_bytes)
    not_an_image = ValidationError(
        _("This file is not a photo: use a JPEG, PNG or WebP picture."), code="not_an_image"
    )
    too_many_pixels = ValidationError(
        _("This picture is too large: at most %(mp)s megapixels.")
        % {"mp": f"{max_pixels / 1_000_000:g}"},
        code="too_many_pixels",
    )
    with warnings.catch_warnings():
        # Pillow only warns below twice its own limit; a warning is a refusal here.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            # Opening reads the header only: the pixel count is known before decoding.
            with Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS) as probe:
                if probe.format not in ACCEPTED_DECODED:
                    raise not_an_image
                if probe.width * probe.height > max_pixels:
                    raise too_many_pixels
                probe.verify()
            with Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS) as image:
                image.load()
                encoded, extension, content_type, size = _reencode(image, max_side)
        except ValidationError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise too_many_pixels from exc
        except Exception as exc:
            # A truncated file, HTML behind a PNG signature, a corrupt chunk, a pixel
            # format nobody photographs in: whatever the decoder trips over is refused.
            raise not_an_image from exc
    width, height = size
    return CheckedImage(
        encoded, name=f"{uuid.uuid4().hex}.{extension}", width=width, height=height,
        content_type=content_type,
    )
