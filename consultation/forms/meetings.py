"""Forms of the meeting pages. They only parse what was typed; consultation.services.
meetings decides, and its messages land next to these fields (the field names are the
service's error keys)."""

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from compounds.models import Compound, User
from consultation.models.meetings import AttendanceRole, Meeting, MeetingType
from consultation.models.topics import Topic
from consultation.services.meetings import attendance_field


class DateTimeInput(forms.DateTimeInput):
    """The browser's own date-and-time picker (<input type=datetime-local>)."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M",
                    "%Y-%m-%d %H:%M:%S"]


def compound_choices(compounds: Iterable[Compound]) -> list[tuple[Any, str]]:
    return [("", "---------"), *((c.pk, c.name) for c in compounds)]


def topic_choices(topics: Iterable[Topic], *, grouped: bool) -> list:
    """Topics as choices; grouped by compound (<optgroup>) when no compound is fixed.
    The topics come with their compound (select_related)."""
    topics = list(topics)
    if not grouped:
        return [(t.pk, t.title) for t in topics]
    groups: dict[str, list] = {}
    for t in topics:
        groups.setdefault(t.compound.name, []).append((t.pk, t.title))
    return list(groups.items())


def staff_label(user: User) -> str:
    name = user.get_full_name() or user.username
    area = user.area_name  # the area is loaded with the user (select_related)
    return f"{name}（{area}）" if area else name


class MeetingForm(forms.Form):
    compound = forms.TypedChoiceField(label=_("compound"), coerce=int)
    type = forms.ChoiceField(label=_("type"), choices=MeetingType.choices)
    title = forms.CharField(label=_("title"), max_length=200)
    starts_at = forms.DateTimeField(label=_("starts at"), widget=DateTimeInput,
                                    input_formats=DATETIME_FORMATS)
    ends_at = forms.DateTimeField(label=_("ends at"), required=False, widget=DateTimeInput,
                                  input_formats=DATETIME_FORMATS)
    place = forms.CharField(
        label=_("place"), max_length=200,
        help_text=_("The courtyard, hall or tea house; for an online meeting, the group or "
                    "platform."),
    )
    topics = forms.TypedMultipleChoiceField(
        label=_("topics discussed"), coerce=int, required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "checklist"}),
    )
    invitees = forms.TypedMultipleChoiceField(
        label=_("invited staff"), coerce=int, required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "checklist"}),
        help_text=_("They are reminded the day before."),
    )

    def __init__(self, *args, compounds: Iterable[Compound] | None, topics: list,
                 staff: Iterable[User], **kwargs):
        """`compounds` None: the compound is fixed (editing) and the field is left out."""
        super().__init__(*args, **kwargs)
        if compounds is None:
            del self.fields["compound"]
        else:
            self.fields["compound"].choices = compound_choices(compounds)
        self.fields["topics"].choices = topics
        self.fields["invitees"].choices = [(u.pk, staff_label(u)) for u in staff]
        if not topics:
            self.fields["topics"].help_text = _(
                "No consultation topic of this compound yet.")

    @classmethod
    def initial_from(cls, meeting: Meeting) -> dict[str, Any]:
        return {
            "type": meeting.type, "title": meeting.title, "starts_at": meeting.starts_at,
            "ends_at": meeting.ends_at, "place": meeting.place,
            "topics": [t.pk for t in meeting.topics.all()],
            "invitees": [u.pk for u in meeting.invitees.all()],
        }

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("compound", None)
        data["topic_ids"] = data.pop("topics", [])
        data["invitee_ids"] = data.pop("invitees", [])
        return data


class MinutesForm(forms.Form):
    """A head count per role (number inputs), the minutes and the decisions. Counts are
    only parsed here: the service refuses a negative one next to its field."""

    minutes = forms.CharField(label=_("minutes"), widget=forms.Textarea(attrs={"rows": 10}),
                              max_length=20000)
    decisions = forms.CharField(label=_("decisions"), required=False, max_length=5000,
                                widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        counts = {}
        for role, label in AttendanceRole.choices:
            counts[attendance_field(role)] = forms.IntegerField(
                label=label, required=False,
                widget=forms.NumberInput(attrs={"min": 0, "inputmode": "numeric",
                                                "class": "count"}),
            )
        # The counts first, then the text.
        self.fields = {**counts, **self.fields}

    @property
    def count_fields(self):
        return [self[attendance_field(role)] for role in AttendanceRole.values]

    @property
    def text_fields(self):
        return [self["minutes"], self["decisions"]]

    @classmethod
    def initial_from(cls, meeting: Meeting) -> dict[str, Any]:
        initial = {"minutes": meeting.minutes, "decisions": meeting.decisions}
        for row in meeting.attendance.all():
            initial[attendance_field(row.role)] = row.count
        return initial

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "attendance": {role: data.get(attendance_field(role))
                           for role in AttendanceRole.values},
            "minutes": data["minutes"], "decisions": data.get("decisions", ""),
        }


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("reason for cancelling"), max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("The history keeps it; the invited staff can read "
                                         "it."))
