"""Staff forms for the registry. They parse what was typed into Python values and hand
them to compounds.services, which decides (area, duplicates, counted totals); the
service's field errors come back onto these fields (compounds.web)."""

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from compounds.models import Community, Grid, PropertyManagement

_YEAR = {"min": 1900, "max": 2100, "inputmode": "numeric"}
_COUNT = {"min": 0, "inputmode": "numeric"}
_DECIMAL = {"step": "0.01", "min": 0, "inputmode": "decimal"}


class CompoundForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    community = forms.TypedChoiceField(label=_("Community"), coerce=int)
    grid = forms.TypedChoiceField(
        label=_("Grid"), coerce=int, required=False, empty_value=None
    )
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    build_year = forms.IntegerField(
        label=_("Build year"), widget=forms.NumberInput(attrs=_YEAR)
    )
    households = forms.IntegerField(
        label=_("Households"), initial=0, widget=forms.NumberInput(attrs=_COUNT)
    )
    residents = forms.IntegerField(
        label=_("Residents"), initial=0, widget=forms.NumberInput(attrs=_COUNT)
    )
    building_count = forms.IntegerField(
        label=_("Buildings"), initial=0, widget=forms.NumberInput(attrs=_COUNT)
    )
    floor_area = forms.DecimalField(
        label=_("Floor area (m²)"),
        max_digits=12,
        decimal_places=2,
        initial=0,
        widget=forms.NumberInput(attrs=_DECIMAL),
    )
    property_management = forms.ChoiceField(
        label=_("Property management"), choices=PropertyManagement.choices
    )
    has_owners_committee = forms.BooleanField(label=_("Owners' committee"), required=False)
    has_party_branch = forms.BooleanField(label=_("Party branch"), required=False)
    latitude = forms.DecimalField(
        label=_("Latitude"), max_digits=9, decimal_places=6, required=False,
        widget=forms.NumberInput(attrs={"step": "0.000001", "inputmode": "decimal"}),
    )
    longitude = forms.DecimalField(
        label=_("Longitude"), max_digits=9, decimal_places=6, required=False,
        widget=forms.NumberInput(attrs={"step": "0.000001", "inputmode": "decimal"}),
    )

    def __init__(
        self,
        *args,
        communities: Iterable[Community],
        grids: Iterable[Grid],
        counted: Iterable[str] = (),
        **kwargs,
    ):
        """`communities` and `grids`: the choices in the user's area (subdistricts
        selected with communities, communities with grids); `counted`: the compound's
        figures its records decide, shown but not typed."""
        super().__init__(*args, **kwargs)
        communities = list(communities)
        several = len({c.subdistrict_id for c in communities}) > 1
        self.fields["community"].choices = [
            ("", "—"),
            *((c.pk, f"{c.subdistrict.name} · {c.name}" if several else c.name)
              for c in communities),
        ]
        by_community: dict[str, list] = {}
        for grid in grids:
            by_community.setdefault(grid.community.name, []).append((grid.pk, grid.name))
        self.fields["grid"].choices = [("", "—"), *by_community.items()]
        for field in counted:
            self.fields[field].disabled = True
            self.fields[field].help_text = _(
                "Counted from the buildings and dwellings recorded."
            )

    def service_data(self) -> dict[str, Any]:
        """The cleaned values under the services' names, without the counted ones."""
        data = {
            name: value
            for name, value in self.cleaned_data.items()
            if not self.fields[name].disabled
        }
        data["community_id"] = data.pop("community")
        data["grid_id"] = data.pop("grid")
        return data


class BuildingForm(forms.Form):
    number = forms.CharField(label=_("Building number"), max_length=20)
    units = forms.IntegerField(
        label=_("Units"), initial=1, widget=forms.NumberInput(attrs={"min": 1})
    )
    floors = forms.IntegerField(
        label=_("Floors"), initial=1, widget=forms.NumberInput(attrs={"min": 1})
    )
    build_year = forms.IntegerField(
        label=_("Build year"), required=False, widget=forms.NumberInput(attrs=_YEAR)
    )


class DwellingForm(forms.Form):
    unit = forms.CharField(label=_("Unit"), max_length=10)
    number = forms.CharField(label=_("Dwelling number"), max_length=20)
    area = forms.DecimalField(
        label=_("Exclusive area (m²)"),
        max_digits=8,
        decimal_places=2,
        widget=forms.NumberInput(attrs=_DECIMAL),
    )
    owner_ref = forms.CharField(
        label=_("Owner key"),
        max_length=64,
        help_text=_("The same key on several dwellings means the same owner."),
    )
    owner_name = forms.CharField(label=_("Owner name"), max_length=50, required=False)
    owner_phone = forms.CharField(
        label=_("Owner phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )

    def __init__(self, *args, contact: bool, **kwargs):
        """`contact`: whether the user may read and record owners' names and phones;
        without it the form has no such fields."""
        super().__init__(*args, **kwargs)
        if not contact:
            del self.fields["owner_name"]
            del self.fields["owner_phone"]
