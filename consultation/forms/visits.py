"""Forms of the visit pages, and the FilterSet the visit list shares with the API. Forms
only parse: every field is optional here so that consultation.services.visits reports
all bad fields at once, in its own words."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from django_filters.widgets import BooleanWidget

from consultation.filtersets import day_range
from consultation.models import Choice
from consultation.models.visits import OPINIONS_MAX, Attitude, Visit, VisitMethod


def _id_select(label, choices=(), **attrs) -> forms.IntegerField:
    """An id picked from a <select>. The choices only offer; whether the id is right
    (in the compound, in the building) is the service's to say."""
    return forms.IntegerField(label=label, required=False,
                              widget=forms.Select(choices=choices, attrs=attrs))


class VisitForm(forms.Form):
    """The visit form a worker fills in at a door. Compound and building are chosen in
    the picker above it (a GET reload), and travel here hidden."""

    compound = forms.IntegerField(required=False, widget=forms.HiddenInput)
    building = forms.IntegerField(required=False, widget=forms.HiddenInput)
    dwelling = _id_select(_("dwelling"))
    unit = forms.CharField(label=_("unit"), max_length=10, required=False,
                           widget=forms.TextInput(attrs={"inputmode": "numeric",
                                                         "list": "visit-units",
                                                         "autocomplete": "off"}))
    method = forms.CharField(label=_("where the talk happened"), required=False,
                             widget=forms.RadioSelect(choices=VisitMethod.choices))
    attitude = forms.CharField(label=_("attitude"), required=False,
                               widget=forms.RadioSelect(choices=Attitude.choices))
    opinions = forms.CharField(label=_("opinions"), required=False,
                               max_length=OPINIONS_MAX,
                               widget=forms.Textarea(attrs={"rows": 3}))
    topic = _id_select(_("topic discussed"))
    visited_at = forms.DateTimeField(
        label=_("time of the visit"), required=False,
        help_text=_("Leave empty for now."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def __init__(self, *args, dwellings=(), topics=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dwelling"].widget.choices = [("", "—")] + [
            (d.pk, _("unit %(unit)s, no. %(number)s") % {"unit": d.unit, "number": d.number})
            for d in dwellings
        ]
        self.fields["topic"].widget.choices = [("", _("no topic"))] + [
            (t.pk, t.title) for t in topics
        ]

    def service_data(self) -> dict:
        data = self.cleaned_data
        return {
            "compound_id": data["compound"], "building_id": data["building"],
            "dwelling_id": data["dwelling"], "unit": data["unit"], "method": data["method"],
            "attitude": data["attitude"], "opinions": data["opinions"],
            "topic_id": data["topic"], "visited_at": data["visited_at"],
        }


class BallotFollowForm(forms.Form):
    choice = forms.ChoiceField(choices=Choice.choices)


class IdeaFollowForm(forms.Form):
    text = forms.CharField(label=_("golden idea"), required=False,
                           widget=forms.Textarea(attrs={"rows": 3}))


class GrievanceFollowForm(forms.Form):
    category = forms.ChoiceField(label=_("category"), required=False)
    description = forms.CharField(label=_("description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "—")] + [(c.code, c.name) for c in categories]


class VisitFilterSet(django_filters.FilterSet):
    """Shared by the visit list page and the API. It only narrows a queryset the area
    gate has built: a compound of another area yields nothing."""

    compound = django_filters.NumberFilter(field_name="compound", label=_("compound"))
    building = django_filters.NumberFilter(field_name="building", label=_("building"))
    method = django_filters.ChoiceFilter(choices=VisitMethod.choices,
                                         label=_("where the talk happened"))
    attitude = django_filters.ChoiceFilter(choices=Attitude.choices, label=_("attitude"))
    mine = django_filters.BooleanFilter(method="filter_mine", widget=BooleanWidget,
                                        label=_("visited by me"))
    date_from, date_to = day_range("visited_at")

    class Meta:
        model = Visit
        fields = ["compound", "building", "method", "attitude", "mine", "date_from",
                  "date_to"]

    def filter_mine(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        if not value or user is None:
            return queryset
        return queryset.filter(visited_by=user)
