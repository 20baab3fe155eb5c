"""QR codes printed by every app: posters of the residents' issue points, voting slips,
grading slips. One way to draw them, one way to say which host they point at."""

import segno
from django.conf import settings
from django.utils.safestring import SafeString, mark_safe

# Error correction M (15 %): a printed code survives some dirt and a fold.
QR_ERROR = "m"
# A quiet zone of two modules: the paper around the code is white anyway.
QR_BORDER = 2


def qr_svg(url: str, *, css_class: str = "qr", scale: int = 1, sized: bool = False,
           title: str | None = None) -> SafeString:
    """The QR code of `url` as inline SVG. Unsized (the default) it has only a viewBox and
    takes its size from CSS; `sized` gives it width and height of `scale` px a module.
    `title` (optional) becomes the SVG's <title>, a tooltip.

    Safe to put in a page as it is: segno writes every byte of it and escapes the title;
    the URL only decides which modules are dark."""
    svg = segno.make(url, error=QR_ERROR).svg_inline(
        scale=scale, border=QR_BORDER, omitsize=not sized, svgclass=css_class, title=title)
    return mark_safe(svg)  # written by segno, see above


def public_url(request, path: str) -> str:
    """`path` as residents reach it: on PUBLIC_BASE_URL when the desk runs on another
    host than the public pages, else on the host this request came to."""
    base = getattr(settings, "PUBLIC_BASE_URL", "").rstrip("/")
    return f"{base}{path}" if base else request.build_absolute_uri(path)
