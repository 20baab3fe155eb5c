"""Forms of the staff pages of residents' issues. They only parse what was typed; the
services (grievances.services.handling, .intake) decide, and their messages land next to
these fields (field names = the services' error keys)."""

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from compounds.formfields import MultiplePhotoField
from compounds.models import Role, User
from compounds.selectors import communities_visible_to, subdistricts_visible_to
from grievances.models import PARTIES_BY_LEVEL, Channel, Level, Party, Priority, Status

STAFF_RECORD_CHANNELS = (Channel.VISIT, Channel.INSPECTION, Channel.WALK_IN)
MAX_PHOTOS = 3


# Whom an issue may be assigned to (the service checks the assignee covers the compound).


def assignee_candidates(user: User):
    """Active staff whose area overlaps `user`'s, whom the inbox offers for bulk assign
    (the service checks that each covers the issue's compound)."""
    staff = User.objects.filter(is_active=True).select_related("subdistrict", "community")
    if not (user.is_authenticated and (user.role or user.is_superuser)):
        return staff.none()
    return staff.filter(
        Q(is_superuser=True) | Q(role=Role.DISTRICT)
        | Q(role=Role.SUBDISTRICT, subdistrict__in=subdistricts_visible_to(user))
        | Q(role=Role.COMMUNITY, community__in=communities_visible_to(user))
    ).order_by("role", "username")


def compound_assignees(compound):
    """Active staff whose area covers `compound`."""
    return User.objects.filter(is_active=True).filter(
        Q(is_superuser=True) | Q(role=Role.DISTRICT)
        | Q(role=Role.SUBDISTRICT, subdistrict_id=compound.community.subdistrict_id)
        | Q(role=Role.COMMUNITY, community_id=compound.community_id)
    ).select_related("subdistrict", "community").order_by("role", "username")


def party_choices() -> list:
    """The parties grouped by their level (an <optgroup> each): readable without JS."""
    levels, parties = dict(Level.choices), dict(Party.choices)
    return [("", "—")] + [
        (levels[level], [(p, parties[p]) for p in PARTIES_BY_LEVEL[level]])
        for level in Level.values
    ]


def staff_label(user: User) -> str:
    name = user.get_full_name() or user.username
    area = user.area_name or user.get_role_display()
    return f"{name}（{area}）" if area else name


class AssigneeField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return staff_label(obj)


class AssignForm(forms.Form):
    level = forms.ChoiceField(label=_("handling level"), choices=[("", "—"), *Level.choices])
    party = forms.ChoiceField(label=_("responsible party"), choices=party_choices)
    party_name = forms.CharField(
        label=_("responsible (name)"), required=False, max_length=80,
        help_text=_("E.g. the property company's name."),
    )
    assignee = AssigneeField(label=_("assignee"), queryset=User.objects.none(),
                             required=False, empty_label="—")
    priority = forms.ChoiceField(label=_("priority"), required=False,
                                 choices=[("", _("unchanged")), *Priority.choices])
    note = forms.CharField(label=_("internal note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, assignees=None, **kwargs):
        super().__init__(*args, **kwargs)
        if assignees is not None:
            self.fields["assignee"].queryset = assignees

    def service_data(self) -> dict:
        data = self.cleaned_data
        return {
            "level": data["level"], "party": data["party"], "party_name": data["party_name"],
            "assignee_id": data["assignee"].pk if data.get("assignee") else None,
            "priority": data.get("priority") or None, "note": data["note"],
        }


class IdListField(forms.Field):
    """The ticked rows: one or more ids (`ids=1&ids=2`)."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "required": _("Tick at least one issue."),
        "invalid": _("Not a list of issues."),
    }

    def to_python(self, value):
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        try:
            ids = [int(v) for v in value]
        except (TypeError, ValueError) as exc:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from exc
        return list(dict.fromkeys(ids))


class BulkAssignForm(AssignForm):
    ids = IdListField(label=_("issues"))
    query = forms.CharField(required=False, widget=forms.HiddenInput)


class TransitionForm(forms.Form):
    """One move. `reply` is the public answer (a rejection's reason, what was done)."""

    to = forms.ChoiceField(choices=Status.choices)
    note = forms.CharField(label=_("internal note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))
    reply = forms.CharField(
        label=_("public reply"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The resident reads it on the tracking page. Needed to resolve: what "
                    "was done."),
    )


class ReplyForm(forms.Form):
    text = forms.CharField(label=_("reply"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 4}))
    internal = forms.BooleanField(
        label=_("internal note: staff only"), required=False,
        help_text=_("Unticked, the resident reads the reply on the tracking page."),
    )
    template = forms.TypedChoiceField(label=_("reply template"), required=False, coerce=int,
                                      empty_value=None)

    def __init__(self, *args, templates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.templates = {t.pk: t for t in templates}
        self.fields["template"].choices = [("", "—")] + [
            (t.pk, t.title) for t in templates
        ]

    def template_text(self) -> str | None:
        """The chosen template's text (for `use_template`: put into the textarea)."""
        chosen = self.cleaned_data.get("template")
        template = self.templates.get(chosen)
        return template.text if template else None


class MergeForm(forms.Form):
    into = forms.IntegerField(required=False, widget=forms.HiddenInput)
    into_code = forms.CharField(
        label=_("tracking code of the issue to keep"), required=False, max_length=20,
    )

    def clean(self):
        data = super().clean()
        if not data.get("into") and not (data.get("into_code") or "").strip():
            self.add_error("into_code", _("Give the tracking code of the issue to keep."))
        return data


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class GrievanceCreateForm(forms.Form):
    """Staff record an issue heard on a visit, an inspection or at the office."""

    channel = forms.ChoiceField(
        label=_("channel"),
        choices=[(c.value, c.label) for c in STAFF_RECORD_CHANNELS],
    )
    compound = forms.TypedChoiceField(label=_("compound"), coerce=int)
    building = forms.TypedChoiceField(label=_("building"), required=False, coerce=int,
                                      empty_value=None)
    unit = forms.CharField(label=_("unit"), required=False, max_length=10)
    category = forms.ChoiceField(label=_("category"))
    description = forms.CharField(label=_("problem description"), max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 4}))
    name = forms.CharField(label=_("resident's name"), required=False, max_length=40)
    phone = forms.CharField(label=_("resident's phone"), required=False, max_length=20,
                            widget=forms.TextInput(attrs={"inputmode": "tel"}))
    consent_contact = forms.BooleanField(label=_("the resident agrees to be contacted"),
                                         required=False)
    received_at = forms.DateTimeField(
        label=_("heard at"), required=False, widget=DateTimeInput,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        help_text=_("Leave empty for now."),
    )
    photos = MultiplePhotoField(
        label=_("photos"), required=False,
        help_text=_("Up to 3 photos (JPEG, PNG or WebP, at most 10 MB each)."),
    )

    def __init__(self, *args, compounds, categories, buildings=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["compound"].choices = [("", "—")] + [(c.pk, c.name) for c in compounds]
        self.fields["category"].choices = [("", "—")] + [(c.code, c.name) for c in categories]
        self.fields["building"].choices = [("", "—")] + [
            (b.pk, b.number) for b in buildings
        ]

    def service_data(self) -> dict:
        data = self.cleaned_data
        return {
            "channel": data["channel"], "compound_id": data["compound"],
            "building_id": data.get("building"), "unit": data["unit"],
            "category_code": data["category"], "description": data["description"],
            "name": data["name"], "phone": data["phone"],
            "consent_contact": data["consent_contact"], "received_at": data.get("received_at"),
            "photos": data.get("photos") or [],
        }
