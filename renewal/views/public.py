from django.shortcuts import render
from django.views.decorators.cache import cache_control

from renewal.selectors.public import public_compound_page


def resident_welcome(request):
    """The resident landing page, in the phone layout; QR posters lead deeper."""
    return render(request, "resident/welcome.html")


@cache_control(public=True, max_age=60)
def compound_public(request, compound_id: int):
    """The public compound page the QR posters link to: no account, no personal data."""
    page = public_compound_page(compound_id=compound_id)
    return render(request, "resident/compound.html", {"page": page})
