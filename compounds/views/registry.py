from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import path

from compounds.filtersets import CompoundFilterSet
from compounds.selectors import (
    communities_visible_to,
    compound_get_visible,
    compounds_visible_to,
    subdistricts_visible_to,
)

PAGE_SIZE = 50


@login_required
def compound_list(request):
    queryset = compounds_visible_to(request.user).select_related("community__subdistrict")
    filterset = CompoundFilterSet(request.GET, queryset=queryset.order_by("name", "id"))
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "compounds/compound_list.html",
        {
            "filterset": filterset,
            "page": page,
            "query": query.urlencode(),
            "subdistricts": subdistricts_visible_to(request.user).order_by("name"),
            "communities": communities_visible_to(request.user).order_by("name"),
        },
    )


@login_required
def compound_detail(request, pk: int):
    compound = compound_get_visible(user=request.user, compound_id=pk)
    buildings = compound.buildings.order_by("number")
    return render(
        request, "compounds/compound_detail.html", {"compound": compound, "buildings": buildings}
    )


urlpatterns = [
    path("", compound_list, name="list"),
    path("<int:pk>/", compound_detail, name="detail"),
]
