"""Staff pages of the QR points (under /grievances/, namespace `grievances`): the points
of the user's compounds, creating and switching them off, a printable A4 poster per
point and a sheet of every poster in a community. Area gate first (404 outside)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from compounds.qr import qr_svg as draw_qr
from compounds.selectors import compound_get_visible
from compounds.web import form_add_service_errors
from grievances.forms_public import QRPointForm
from grievances.models import QRPoint
from grievances.services.qr import (
    buildings_of,
    community_get_visible,
    community_poster_points,
    qr_absolute_url,
    qr_compounds_of_area,
    qr_point_create,
    qr_point_get_visible,
    qr_point_set_active,
    qr_points_of_compound,
)

QR_SCALE = 10
QR_BORDER = 2


def qr_svg(url: str) -> str:
    """The poster's QR of `url` as inline SVG (compounds.qr.qr_svg): its size comes
    from CSS (no width/height), its shape from the viewBox; the URL is its title."""
    return draw_qr(url, css_class="qr-svg", scale=QR_SCALE, title=url)


def _poster(request, point: QRPoint) -> dict:
    url = qr_absolute_url(point.code, request)
    return {"point": point, "url": url, "svg": mark_safe(qr_svg(url)),  # segno escapes
            "display_url": url.split("://", 1)[-1]}


@login_required
def qr_index(request):
    """The user's compounds, by community, with their count of active points."""
    compounds = list(qr_compounds_of_area(user=request.user))
    communities: dict = {}
    for compound in compounds:
        communities.setdefault(compound.community, []).append(compound)
    return render(request, "grievances/qr/index.html", {"communities": communities.items()})


@login_required
def qr_compound(request, compound_id: int):
    """A compound's points, and the form that adds one (it posts here)."""
    compound = compound_get_visible(user=request.user, compound_id=compound_id)
    buildings = list(buildings_of(compound))
    form = QRPointForm(request.POST or None, buildings=buildings)
    if request.method == "POST" and form.is_valid():
        try:
            point = qr_point_create(by=request.user, compound_id=compound.pk,
                                    building_id=form.cleaned_data["building"],
                                    spot=form.cleaned_data["spot"])
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("QR point %(code)s created.") % {"code": point.code})
            return redirect("grievances:qr-compound", compound.pk)
    points = list(qr_points_of_compound(compound=compound))
    for point in points:
        point.url = qr_absolute_url(point.code, request)
    return render(request, "grievances/qr/compound.html", {
        "compound": compound, "points": points, "form": form})


def _set_active(request, code: str, active: bool):
    point = qr_point_set_active(by=request.user, code=code, active=active)
    if active:
        messages.success(request, _("QR point %(code)s is in use again.") % {"code": point.code})
    else:
        messages.success(request, _("QR point %(code)s switched off: its poster now tells "
                                    "residents it is no longer in use.") % {"code": point.code})
    return redirect("grievances:qr-compound", point.compound_id)


@login_required
@require_POST
def qr_deactivate(request, code: str):
    return _set_active(request, code, False)


@login_required
@require_POST
def qr_activate(request, code: str):
    return _set_active(request, code, True)


@login_required
def qr_poster(request, code: str):
    """One A4 poster: print it from the browser (the page has no desk chrome)."""
    point = qr_point_get_visible(user=request.user, code=code)
    return render(request, "grievances/qr/poster.html", {
        "posters": [_poster(request, point)], "title": point.compound.name,
        "back": ("grievances:qr-compound", point.compound_id)})


@login_required
def qr_community_posters(request, community_id: int):
    """Every active point of a community, one poster per A4 page."""
    community = community_get_visible(user=request.user, community_id=community_id)
    points = community_poster_points(community=community)
    return render(request, "grievances/qr/poster.html", {
        "posters": [_poster(request, p) for p in points], "title": community.name,
        "community": community, "back": ("grievances:qr-index", None)})


staff_urlpatterns = [
    path("qr/", qr_index, name="qr-index"),
    path("qr/compound/<int:compound_id>/", qr_compound, name="qr-compound"),
    path("qr/community/<int:community_id>/posters/", qr_community_posters,
         name="qr-community-posters"),
    path("qr/<str:code>/poster/", qr_poster, name="qr-poster"),
    path("qr/<str:code>/deactivate/", qr_deactivate, name="qr-deactivate"),
    path("qr/<str:code>/activate/", qr_activate, name="qr-activate"),
]
public_urlpatterns = []
open311_urlpatterns = []
