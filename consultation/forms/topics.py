"""Forms of the topic pages. They only parse what was typed; consultation.services.topics
decides, and its messages land next to these fields (the field names are the service's
error keys)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from consultation.models import Choice, Method, Rule, Scope, TopicKind
from consultation.models.topics import STAGE_DONE_MAX_LENGTH


class TopicCompoundForm(forms.Form):
    """Step one of a new topic: which compound (the place decides the buildings and
    dwellings the topic form then offers)."""

    compound = forms.TypedChoiceField(label=_("compound"), coerce=int)

    def __init__(self, *args, compounds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["compound"].choices = [
            ("", "---------"),
            *((c.pk, f"{c.name}（{c.community.name}）") for c in compounds),
        ]


class TopicForm(forms.Form):
    compound = forms.IntegerField(widget=forms.HiddenInput)
    title = forms.CharField(label=_("title"), max_length=200)
    scope = forms.ChoiceField(
        label=_("scope"), choices=Scope.choices, initial=Scope.COMPOUND,
        help_text=_("Who decides: the owners of the whole compound, of one building, or of "
                    "one unit (an elevator is voted by its staircase)."),
    )
    building = forms.TypedChoiceField(label=_("building"), coerce=int, required=False,
                                      empty_value=None)
    unit = forms.CharField(label=_("unit"), max_length=10, required=False,
                           help_text=_("For a topic of one unit only, e.g. 2."))
    kind = forms.ChoiceField(label=_("kind of topic"), choices=TopicKind.choices)
    rule = forms.ChoiceField(label=_("rule"), choices=Rule.choices)
    # Text, so that the service's own words answer a malformed share.
    threshold = forms.CharField(
        label=_("threshold"), max_length=20, required=False,
        help_text=_("For the consent-share rule only: the share of dwellings that must "
                    "agree, e.g. 0.80."),
    )
    affected_dwellings = forms.TypedMultipleChoiceField(
        label=_("affected dwellings"), coerce=int, required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Elevator topics only: the dwellings it touches most (ground floor, next "
                    "to the shaft). Each of them must agree. Hold Ctrl to choose several."),
    )

    def __init__(self, *args, buildings, dwellings, **kwargs):
        """`buildings`: [(id, number)] of the compound; `dwellings`: the compound's
        dwellings as grouped choices (consultation.selectors.topic_lists)."""
        super().__init__(*args, **kwargs)
        self.fields["building"].choices = [("", "---------"), *buildings]
        self.fields["affected_dwellings"].choices = dwellings

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        return {
            "compound_id": data.pop("compound"),
            "building_id": data.pop("building"),
            "affected_dwelling_ids": data.pop("affected_dwellings"),
            **data,
        }


class TopicMoveForm(forms.Form):
    to = forms.CharField(max_length=32, label=_("step"))
    done = forms.CharField(
        label=_("What was done in this step"), max_length=STAGE_DONE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say what was done in this step before moving on.")},
        help_text=_("Recorded with the move and shown under the step, e.g. “42 households "
                    "visited, 17 demands collected”."),
    )


class BallotRecordForm(forms.Form):
    # The dwelling's id, offered as a <select> of the topic's scope; the service decides
    # whether it may vote (its words, not the form's, answer a dwelling outside the scope).
    dwelling = forms.IntegerField(label=_("dwelling"), widget=forms.Select)
    choice = forms.ChoiceField(label=_("choice"), choices=Choice.choices,
                               widget=forms.RadioSelect)
    method = forms.ChoiceField(label=_("method"), choices=Method.choices,
                               initial=Method.PAPER)
    sheet_photo = forms.FileField(
        label=_("photo of the signed sheet"), required=False, allow_empty_file=True,
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        help_text=_("Optional: a JPEG, PNG or WebP photo; its location data are removed."),
    )

    def __init__(self, *args, dwellings, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dwelling"].widget.choices = [("", "---------"), *dwellings]
