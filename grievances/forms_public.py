"""Forms of the residents' pages (no account) and of the staff QR pages. They parse and
present; the services decide (grievances.services.intake, handling, qr)."""

import hashlib
import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from compounds.formfields import MultipleFileInput, MultiplePhotoField
from grievances.limits import HONEYPOT_FIELD
from grievances.models import Category, Rating, Status
from grievances.services.intake import DESCRIPTION_MAX, NAME_MAX, UNIT_MAX

# A status in words a resident understands (the model's labels are the staff's; and
# "accepted" already means a project's acceptance in the catalogue).
STATUS_WORDS = {
    Status.RECEIVED: _("Received, waiting to be accepted"),
    Status.ACCEPTED: _("Accepted by the office"),
    Status.ASSIGNED: _("Handed to the office responsible"),
    Status.IN_PROGRESS: _("Being handled"),
    Status.RESOLVED: _("Resolved: please confirm"),
    Status.CLOSED: _("Closed"),
    Status.REJECTED: _("Not accepted"),
    Status.MERGED: _("Handled together with the same report"),
    Status.REOPENED: _("Reopened"),
}


def status_words(status: str) -> str:
    return str(STATUS_WORDS.get(status, status))


class ReportForm(forms.Form):
    """The phone form. It only parses: the intake service checks every field and answers
    all bad ones at once. Building choices come from the compound; `submission` is a
    one-time key (a double tap on "submit" files one report); the honeypot is `website`."""

    category = forms.CharField(label=_("What is the problem about?"), required=False,
                               widget=forms.RadioSelect)
    description = forms.CharField(
        label=_("Describe the problem"), required=False, strip=False,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": DESCRIPTION_MAX}),
        help_text=_("At least 5 and at most 2000 characters: where it is, since when, "
                    "what happens."),
    )
    building = forms.CharField(label=_("Building"), required=False, widget=forms.Select)
    unit = forms.CharField(label=_("Unit / room"), required=False,
                           widget=forms.TextInput(attrs={"maxlength": UNIT_MAX}),
                           help_text=_("e.g. unit 2, room 301"))
    photos = MultiplePhotoField(
        label=_("Photos (up to 3)"), required=False,
        widget=MultipleFileInput(attrs={"accept": "image/*", "capture": "environment"}),
        help_text=_("Optional. JPEG, PNG or WebP, at most 10 MB each."),
    )
    name = forms.CharField(label=_("Your name (optional)"), required=False,
                           widget=forms.TextInput(attrs={"maxlength": NAME_MAX,
                                                         "autocomplete": "name"}))
    phone = forms.CharField(
        label=_("Your mobile number (optional)"), required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel",
                                      "maxlength": 20}),
        help_text=_("We text you the tracking code. Only the staff handling your report "
                    "see the full number."),
    )
    consent_contact = forms.BooleanField(
        label=_("You may contact me about this report"), required=False)
    submission = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, categories=(), buildings=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].widget.choices = [(c.code, c.name) for c in categories]
        self.fields["building"].widget.choices = [
            ("", _("Not sure / the whole compound"))] + [(str(b.pk), b.number)
                                                          for b in buildings]
        if not self.is_bound:
            self.initial.setdefault("submission", uuid.uuid4().hex)
        # The honeypot: no label a person reads, no tab stop, no autofill.
        self.fields[HONEYPOT_FIELD] = forms.CharField(
            required=False, label=_("Leave this field empty"),
            widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}))

    @property
    def honeypot(self):
        return self[HONEYPOT_FIELD]

    def idempotency_key(self) -> str | None:
        """A double tap (same form, same content) files one report; the same form sent
        back with other content (the back button, then edits) files a new one."""
        key = (self.cleaned_data.get("submission") or "").strip()
        if not key:
            return None
        data = self.cleaned_data
        content = "\x1f".join(str(data.get(f) or "") for f in (
            "category", "description", "building", "unit", "name", "phone"))
        return "form:" + hashlib.sha256(f"{key}\x1f{content}".encode()).hexdigest()


class LookupForm(forms.Form):
    code = forms.CharField(label=_("Tracking code"), max_length=20,
                           widget=forms.TextInput(attrs={"autocapitalize": "characters",
                                                         "autocomplete": "off",
                                                         "placeholder": "ABCD-2345"}))


class ConfirmForm(forms.Form):
    rating = forms.ChoiceField(label=_("How satisfied are you with the handling?"),
                               choices=Rating.choices, widget=forms.RadioSelect)
    comment = forms.CharField(label=_("Comment (optional)"), max_length=500, required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))


class ReopenForm(forms.Form):
    reason = forms.CharField(label=_("What is still wrong?"), max_length=500,
                             widget=forms.Textarea(attrs={"rows": 3}))


class QRPointForm(forms.Form):
    building = forms.ChoiceField(label=_("Building"), required=False)
    spot = forms.CharField(label=_("Spot"), max_length=60, required=False,
                           help_text=_("Where the poster hangs, e.g. unit 2 stairwell."))

    def __init__(self, *args, buildings=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["building"].choices = [("", _("The whole compound"))] + [
            (str(b.pk), b.number) for b in buildings]


def active_categories():
    return list(Category.objects.filter(active=True).order_by("sort", "id"))
