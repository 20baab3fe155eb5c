"""Staff pages of the registry: compounds (list, export, create, edit, detail with its
buildings), buildings (their dwellings) and dwellings. Every page reads through the area
gate — another area's record is a 404 — and writes through compounds.services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.db.models.functions import Length
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from compounds import services
from compounds.errors import ApplicationError
from compounds.filtersets import CompoundFilterSet, DwellingFilterSet
from compounds.forms import BuildingForm, CompoundForm, DwellingForm
from compounds.models import Building, Dwelling, Grid, PropertyManagement
from compounds.selectors import (
    area_q,
    communities_visible_to,
    compound_counted_fields,
    compound_get_visible,
    compounds_visible_to,
    sees_whole_district,
    subdistricts_visible_to,
)
from compounds.web import form_add_service_errors, message_application_error
from compounds.xlsx import xlsx_response

PAGE_SIZE = 50


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _compound_filterset(request, *, with_grid: bool = False) -> CompoundFilterSet:
    related = ["community__subdistrict", *(["grid"] if with_grid else [])]
    queryset = compounds_visible_to(request.user).select_related(*related)
    return CompoundFilterSet(request.GET, queryset=queryset.order_by("name", "id"))


def _community_options(request, filterset: CompoundFilterSet):
    """The community filter offers one subdistrict's communities at a time (the chosen
    subdistrict, the chosen community's, or the user's own), not the whole district's:
    a shorter list to read, and a cheaper page to draw."""
    visible = communities_visible_to(request.user).order_by("name")
    chosen = filterset.form.cleaned_data if filterset.is_valid() else {}
    if chosen.get("subdistrict"):
        return visible.filter(subdistrict_id=chosen["subdistrict"])
    if chosen.get("community"):
        return visible.filter(subdistrict__communities=chosen["community"])
    return visible.none() if sees_whole_district(request.user) else visible


@login_required
def compound_list(request):
    filterset = _compound_filterset(request)
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "compounds/compound_list.html",
        {
            "filterset": filterset,
            "page": page,
            "query": _query_without_page(request),
            "subdistricts": subdistricts_visible_to(request.user).order_by("name"),
            "communities": _community_options(request, filterset),
            "property_management_choices": PropertyManagement.choices,
        },
    )


def _yes_no(value: bool) -> str:
    return _("Yes") if value else _("No")


def _compound_columns() -> list:
    """The export's columns, (header, value), in the request's language."""
    return [
        (_("Name"), lambda c: c.name),
        (_("Subdistrict"), lambda c: c.community.subdistrict.name),
        (_("Community"), lambda c: c.community.name),
        (_("Grid"), lambda c: c.grid.name if c.grid else ""),
        (_("Address"), lambda c: c.address),
        (_("Build year"), lambda c: c.build_year),
        (_("Eligible"), lambda c: _yes_no(c.is_eligible)),
        (_("Buildings"), lambda c: c.building_count),
        (_("Households"), lambda c: c.households),
        (_("Residents"), lambda c: c.residents),
        (_("Floor area (m²)"), lambda c: c.floor_area),
        (_("Property management"), lambda c: c.get_property_management_display()),
        (_("Owners' committee"), lambda c: _yes_no(c.has_owners_committee)),
        (_("Party branch"), lambda c: _yes_no(c.has_party_branch)),
        (_("Latitude"), lambda c: c.latitude),
        (_("Longitude"), lambda c: c.longitude),
    ]


@login_required
@require_GET
def compound_export(request):
    """The compound list exactly as filtered on the page, every row (no pages), as .xlsx."""
    filterset = _compound_filterset(request, with_grid=True)
    if not filterset.is_valid():
        # The list page shows what is wrong with the filters; never export another list.
        return redirect(f"{reverse('compounds:list')}?{request.GET.urlencode()}")
    return xlsx_response(
        filename=_("Compounds"),
        title=_("Compounds"),
        columns=_compound_columns(),
        rows=filterset.qs.iterator(chunk_size=2000),
    )


def _compound_form(request, *, initial=None, counted=()) -> CompoundForm:
    communities = communities_visible_to(request.user).select_related("subdistrict")
    grids = Grid.objects.filter(community__in=communities_visible_to(request.user))
    return CompoundForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        communities=communities.order_by("subdistrict__name", "name"),
        grids=grids.select_related("community").order_by("community__name", "name"),
        counted=counted,
    )


def _run_service(request, form, call):
    """Call a service with a valid form; its refusals land on the form or in messages.
    Returns the service's result, or None when it refused."""
    try:
        return call()
    except ValidationError as exc:
        form_add_service_errors(form, exc)
    except ApplicationError as exc:
        message_application_error(request, exc)
    return None


@login_required
def compound_create(request):
    form = _compound_form(request)
    if request.method == "POST" and form.is_valid():
        compound = _run_service(
            request,
            form,
            lambda: services.compound_create(by=request.user, **form.service_data()),
        )
        if compound is not None:
            messages.success(request, _("Compound “%(name)s” added.") % {"name": compound.name})
            return redirect("compounds:detail", compound.pk)
    return render(request, "compounds/compound_form.html", {"form": form, "compound": None})


@login_required
def compound_edit(request, pk: int):
    compound = compound_get_visible(user=request.user, compound_id=pk)
    initial = {
        field: getattr(compound, field)
        for field in CompoundForm.base_fields
        if field not in ("community", "grid")
    }
    initial.update(community=compound.community_id, grid=compound.grid_id)
    counted = compound_counted_fields(compound_id=compound.pk)
    form = _compound_form(request, initial=initial, counted=counted)
    if request.method == "POST" and form.is_valid():
        saved = _run_service(
            request,
            form,
            lambda: services.compound_update(
                by=request.user, compound_id=pk, data=form.service_data()
            ),
        )
        if saved is not None:
            messages.success(request, _("Compound “%(name)s” saved.") % {"name": saved.name})
            return redirect("compounds:detail", pk)
    return render(
        request, "compounds/compound_form.html", {"form": form, "compound": compound}
    )


@login_required
def compound_detail(request, pk: int):
    """The compound, its buildings with their dwelling counts, and (POST) a building
    added to it."""
    compound = compound_get_visible(user=request.user, compound_id=pk)
    form = BuildingForm(request.POST if request.method == "POST" else None, prefix="building")
    if request.method == "POST" and form.is_valid():
        building = _run_service(
            request,
            form,
            lambda: services.building_create(
                by=request.user, compound_id=pk, **form.cleaned_data
            ),
        )
        if building is not None:
            messages.success(
                request, _("Building %(number)s added.") % {"number": building.number}
            )
            return redirect("compounds:detail", pk)
    buildings = compound.buildings.annotate(
        dwelling_count=Count("dwellings"), dwelling_area=Sum("dwellings__area")
    ).order_by(Length("number"), "number")
    return render(
        request,
        "compounds/compound_detail.html",
        {"compound": compound, "buildings": buildings, "building_form": form},
    )


def _building_get_visible(request, pk: int) -> Building:
    building = (
        Building.objects.filter(area_q(request.user, compound_path="compound__"))
        .select_related("compound__community__subdistrict")
        .filter(pk=pk)
        .first()
    )
    if building is None:
        raise Http404("building not found")
    return building


@login_required
def building_detail(request, pk: int):
    """A building's dwellings (owner names masked unless the user may read them) and
    (POST) a dwelling added to it."""
    building = _building_get_visible(request, pk)
    form = DwellingForm(
        request.POST if request.method == "POST" else None,
        prefix="dwelling",
        contact=request.user.sees_owner_contact,
    )
    if request.method == "POST" and form.is_valid():
        dwelling = _run_service(
            request,
            form,
            lambda: services.dwelling_create(by=request.user, building_id=pk, **form.cleaned_data),
        )
        if dwelling is not None:
            messages.success(
                request,
                _("Dwelling %(unit)s-%(number)s added.")
                % {"unit": dwelling.unit, "number": dwelling.number},
            )
            return redirect("compounds:building", pk)
    dwellings = building.dwellings.order_by("unit", Length("number"), "number", "id")
    filterset = DwellingFilterSet(request.GET, queryset=dwellings)
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "compounds/building_detail.html",
        {
            "building": building,
            "compound": building.compound,
            "filterset": filterset,
            "page": page,
            "query": _query_without_page(request),
            "dwelling_form": form,
        },
    )


@login_required
def building_edit(request, pk: int):
    building = _building_get_visible(request, pk)
    initial = {field: getattr(building, field) for field in BuildingForm.base_fields}
    form = BuildingForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = _run_service(
            request,
            form,
            lambda: services.building_update(
                by=request.user, building_id=pk, data=form.cleaned_data
            ),
        )
        if saved is not None:
            messages.success(request, _("Building %(number)s saved.") % {"number": saved.number})
            return redirect("compounds:building", pk)
    return render(
        request,
        "compounds/building_form.html",
        {"form": form, "building": building, "compound": building.compound},
    )


@login_required
def dwelling_edit(request, pk: int):
    dwelling = (
        Dwelling.objects.filter(area_q(request.user, compound_path="building__compound__"))
        .select_related("building__compound")
        .filter(pk=pk)
        .first()
    )
    if dwelling is None:
        raise Http404("dwelling not found")
    contact = request.user.sees_owner_contact
    form = DwellingForm(
        request.POST if request.method == "POST" else None,
        initial={field: getattr(dwelling, field) for field in DwellingForm.base_fields},
        contact=contact,
    )
    if request.method == "POST" and form.is_valid():
        saved = _run_service(
            request,
            form,
            lambda: services.dwelling_update(
                by=request.user, dwelling_id=pk, data=form.cleaned_data
            ),
        )
        if saved is not None:
            messages.success(
                request,
                _("Dwelling %(unit)s-%(number)s saved.")
                % {"unit": saved.unit, "number": saved.number},
            )
            return redirect("compounds:building", dwelling.building_id)
    return render(
        request,
        "compounds/dwelling_form.html",
        {
            "form": form,
            "dwelling": dwelling,
            "building": dwelling.building,
            "compound": dwelling.building.compound,
        },
    )


urlpatterns = [
    path("", compound_list, name="list"),
    path("export/", compound_export, name="export"),
    path("new/", compound_create, name="create"),
    path("<int:pk>/", compound_detail, name="detail"),
    path("<int:pk>/edit/", compound_edit, name="edit"),
    path("buildings/<int:pk>/", building_detail, name="building"),
    path("buildings/<int:pk>/edit/", building_edit, name="building-edit"),
    path("dwellings/<int:pk>/edit/", dwelling_edit, name="dwelling-edit"),
]
