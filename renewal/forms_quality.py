"""Forms of the quality pages. They only parse what was typed; the services in
renewal.services.quality decide, and their messages land next to these fields."""

from django import forms
from django.utils.translation import gettext_lazy as _

from compounds.models import User
from renewal.models import InspectionKind, InspectionLevel, Project
from renewal.selectors.quality import AFTER_COMPLETION_KINDS, AFTER_COMPLETION_STAGES
from renewal.services.quality import inspection_levels_for


class DateInput(forms.DateInput):
    """The phone's own date picker; ISO dates, as <input type=date> requires."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def inspection_kinds_for(project: Project) -> list[tuple[str, str]]:
    """Look-back kinds only once the work is finished."""
    return [
        (value, label) for value, label in InspectionKind.choices
        if value not in AFTER_COMPLETION_KINDS or project.stage in AFTER_COMPLETION_STAGES
    ]


class InspectionForm(forms.Form):
    level = forms.ChoiceField(label=_("level"))
    kind = forms.ChoiceField(label=_("kind"))
    scheduled_for = forms.DateField(label=_("scheduled for"), required=False, widget=DateInput)
    carried_out_on = forms.DateField(
        label=_("carried out on"), required=False, widget=DateInput
    )
    summary = forms.CharField(
        label=_("summary"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, user: User, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = inspection_levels_for(user)
        self.fields["level"].choices = [
            (value, label) for value, label in InspectionLevel.choices if value in allowed
        ]
        self.fields["kind"].choices = inspection_kinds_for(project)


class InspectionResultForm(forms.Form):
    """Record that a planned inspection was carried out."""

    carried_out_on = forms.DateField(label=_("carried out on"), widget=DateInput)
    summary = forms.CharField(
        label=_("summary"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class RectificationForm(forms.Form):
    finding = forms.CharField(label=_("finding"), widget=forms.Textarea(attrs={"rows": 2}))
    responsible_party = forms.CharField(label=_("responsible party"), max_length=100)
    deadline = forms.DateField(label=_("deadline"), widget=DateInput)
    work_item = forms.TypedChoiceField(
        label=_("work item"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, work_items: list[tuple[int, str]], **kwargs):
        # The choices come in ready-made: one project's items are read once for all the
        # forms on its page, not once per form.
        super().__init__(*args, **kwargs)
        self.fields["work_item"].choices = [("", "—"), *work_items]


class TransitionForm(forms.Form):
    to = forms.CharField()
    note = forms.CharField(required=False, max_length=2000)
