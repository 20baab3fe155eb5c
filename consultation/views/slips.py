"""The printable slips of one-time codes (voting and grading alike): each dwelling's
label, its code as printed and a QR code of the public page with the code filled in.
Not a page module: voting.py and grading.py render the slips."""

from collections.abc import Iterable

from django.utils.http import urlencode

from compounds.qr import qr_svg
from consultation.selectors.codes import dwelling_label
from consultation.services.codes import IssuedCode


def code_slips(issued: Iterable[IssuedCode], *, url: str, **qr) -> list[dict]:
    """One slip per issued code: the dwelling, the code as printed, the link (`url`, the
    absolute public page, with the code) and its QR code; `qr` goes to
    compounds.qr.qr_svg (its size). The dwellings' buildings must be loaded."""
    slips = []
    for item in issued:
        link = f"{url}?{urlencode({'code': item.code})}"
        slips.append({"dwelling": dwelling_label(item.dwelling), "code": item.printed,
                      "url": link, "qr": qr_svg(link, **qr)})
    return slips
