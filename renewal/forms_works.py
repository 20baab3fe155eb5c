"""Forms of the works and commitments pages. They only parse input: the services decide,
and their errors are put back next to the fields (compounds.web.form_add_service_errors).
"""

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from compounds.formfields import MultiplePhotoField
from renewal.models import ItemCategory, PublicCommitment, WorkItem, WorkItemType
from renewal.models.works import MAX_PHOTOS_PER_REPORT

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _model_field(model, name: str, **overrides) -> forms.Field:
    field = model._meta.get_field(name).formfield(**overrides)
    if isinstance(field, forms.DateField):
        field.widget = DATE
    if isinstance(field, forms.DecimalField):
        # Phones show the number pad with a decimal point.
        field.widget.attrs.setdefault("inputmode", "decimal")
    return field


def type_choices(types: Iterable[WorkItemType]) -> list:
    """The catalogue grouped by national category, for a <select> with <optgroup>s."""
    labels = dict(ItemCategory.choices)
    groups: dict[str, list] = {value: [] for value in ItemCategory.values}
    for t in types:
        groups[t.category].append((t.pk, f"{t.name}（{t.get_unit_display()}）"))
    return [("", "---------")] + [
        (labels[value], choices) for value, choices in groups.items() if choices
    ]


class WorkItemForm(forms.Form):
    FIELDS = (
        "description", "planned_quantity", "completed_quantity", "budget", "spent",
        "planned_start", "planned_end", "actual_start", "actual_end",
    )

    type = forms.TypedChoiceField(coerce=int, label=_("type"))

    def __init__(self, *args, types: Iterable[WorkItemType], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = type_choices(types)
        for name in self.FIELDS:
            self.fields[name] = _model_field(WorkItem, name)
        for name in ("completed_quantity", "budget", "spent"):
            self.fields[name].required = False

    @classmethod
    def initial_from(cls, item: WorkItem) -> dict[str, Any]:
        return {"type": item.type_id, **{name: getattr(item, name) for name in cls.FIELDS}}

    def service_data(self) -> dict[str, Any]:
        # An emptied amount means 0 (the service reads None so).
        return dict(self.cleaned_data)


class ProgressReportForm(forms.Form):
    quantity_done = forms.DecimalField(
        label=_("quantity done"), max_digits=12, decimal_places=2,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
    )
    spent = forms.DecimalField(
        label=_("spent (yuan)"), max_digits=14, decimal_places=2, required=False,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
    )
    note = forms.CharField(label=_("note"), required=False,
                           widget=forms.Textarea(attrs={"rows": 3}))
    photos = MultiplePhotoField(label=_("photos"), required=False)
    max_photos = MAX_PHOTOS_PER_REPORT

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # On the field, not in the template, so the input is described by it
        # (aria-describedby) for screen readers; built here, in the request's language.
        self.fields["photos"].help_text = _(
            "Up to %(max)s photos (JPEG, PNG or WebP, at most 10 MB each); take them on the "
            "spot or choose them."
        ) % {"max": self.max_photos}

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        if data.get("spent") is None:
            data.pop("spent")
        return data


class CommitmentForm(forms.Form):
    FIELDS = ("year", "title", "detail", "sort")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.FIELDS:
            self.fields[name] = _model_field(PublicCommitment, name)
        self.fields["detail"].widget.attrs["rows"] = 2
        self.fields["sort"].required = False

    @classmethod
    def initial_from(cls, commitment: PublicCommitment) -> dict[str, Any]:
        return {name: getattr(commitment, name) for name in cls.FIELDS}

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        if data.get("sort") is None:
            data["sort"] = 0
        return data


class TickForm(forms.Form):
    done_on = forms.DateField(label=_("done on"), required=False, widget=DATE)
