"""Forms of the golden-idea pages: the resident's phone form (no account), the worker's
entry, and the review moves. They only parse; consultation.services.ideas decides and
its messages land next to these fields (the field names are the service's keys)."""

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from compounds.models import Building, Compound
from consultation.forms.meetings import compound_choices
from consultation.models.ideas import TEXT_MAX, IdeaSource


def building_choices(buildings: Iterable[Building]) -> list[tuple[Any, str]]:
    return [("", _("— not about one building —")),
            *((b.pk, _("Building %(number)s") % {"number": b.number}) for b in buildings)]


def _text_field(label) -> forms.CharField:
    # The length is the service's to judge (its message says how long is right).
    return forms.CharField(label=label, widget=forms.Textarea(
        attrs={"rows": 6, "maxlength": TEXT_MAX}))


class _ContactFields(forms.Form):
    author_name = forms.CharField(label=_("name (optional)"), required=False, max_length=40,
                                  widget=forms.TextInput(attrs={"autocomplete": "name"}))
    author_phone = forms.CharField(
        label=_("mobile phone (optional)"), required=False, max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel",
                                      "autocomplete": "tel"}),
    )


class ResidentIdeaForm(_ContactFields):
    """The QR form on a resident's phone. `website` is a honeypot: hidden from people,
    filled in only by robots."""

    text = _text_field(_("your idea"))
    building = forms.TypedChoiceField(label=_("building (optional)"), coerce=int,
                                      required=False, empty_value=None)
    website = forms.CharField(required=False, label=_("Leave this empty"),
                              widget=forms.TextInput(attrs={"autocomplete": "off",
                                                            "tabindex": "-1"}))
    field_order = ["text", "building", "author_name", "author_phone", "website"]

    def __init__(self, *args, buildings: Iterable[Building], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["author_name"].help_text = _(
            "Only the office sees your name and phone, to thank you or ask back; they are "
            "never published.")
        choices = building_choices(buildings)
        if len(choices) > 1:
            self.fields["building"].choices = choices
        else:
            del self.fields["building"]

    @property
    def is_robot(self) -> bool:
        return bool(self.data.get("website"))

    def visible(self):
        return [f for f in self if f.name != "website"]

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("website", None)
        data["building_id"] = data.pop("building", None)
        return data


class StaffIdeaForm(_ContactFields):
    """A worker records an idea heard on a visit, at a meeting, or handed in on paper."""

    compound = forms.TypedChoiceField(label=_("compound"), coerce=int)
    building = forms.TypedChoiceField(label=_("building"), coerce=int, required=False,
                                      empty_value=None)
    source = forms.ChoiceField(label=_("source"), choices=IdeaSource.choices,
                               initial=IdeaSource.WORKER)
    text = _text_field(_("idea"))
    field_order = ["compound", "building", "source", "text", "author_name", "author_phone"]

    def __init__(self, *args, compounds: Iterable[Compound], buildings: Iterable[Building],
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["compound"].choices = compound_choices(compounds)
        choices = building_choices(buildings)
        self.fields["building"].choices = choices
        if len(choices) == 1:
            self.fields["building"].help_text = _(
                "To name a building, first choose the compound above (“Show its buildings”).")
        self.fields["author_name"].label = _("resident's name (optional)")
        self.fields["author_phone"].label = _("resident's mobile (optional)")

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["compound_id"] = data.pop("compound")
        data["building_id"] = data.pop("building", None)
        return data


class IdeaMoveForm(forms.Form):
    """What goes with one review move (start the review, not adopt, look again); the
    move itself is the button pressed (`to`), and the service says which exist."""
    public_reason = forms.CharField(
        label=_("reason (shown to the public)"), required=False, max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Residents read it on the compound's list of ideas: say why, kindly and "
                    "concretely."),
    )
    note = forms.CharField(label=_("internal note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))
