"""Forms of the grading pages (请您阅卷). They only parse: the rules are in
consultation.services.grading, whose errors come back beside the fields."""

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consultation.models.grading import (
    ASPECT_LABELS,
    ASPECTS,
    COMMENTS_MAX,
    GradingRound,
    Satisfaction,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class RoundOpenForm(forms.Form):
    title = forms.CharField(label=_("title"), max_length=100, required=False,
                            help_text=_("What residents see above the form, e.g. “Please "
                                        "grade the renovation of our compound”."))
    opens_on = forms.DateField(label=_("opens on"), required=False, widget=DATE)
    closes_on = forms.DateField(label=_("last day"), required=False, widget=DATE,
                                help_text=_("Leave empty to keep it open until you close it."))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"opens_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class CodesForm(forms.Form):
    building = forms.IntegerField(label=_("building"), required=False,
                                  widget=forms.Select())

    def __init__(self, *args, buildings=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["building"].widget.choices = [("", _("every building"))] + [
            (b.pk, b.number) for b in buildings
        ]


class GradeForm(forms.Form):
    """The resident's phone form: four aspects as big tiles, comments, and a grading code
    or a mobile number. `website` is a honeypot: people never see it, robots fill it."""

    comments = forms.CharField(label=_("Anything you want to tell us"), required=False,
                               max_length=COMMENTS_MAX,
                               widget=forms.Textarea(attrs={"rows": 4}))
    code = forms.CharField(label=_("grading code"), required=False, max_length=32,
                           help_text=_("On the slip delivered to your home, e.g. "
                                       "ABCD-EFGH-JK."),
                           widget=forms.TextInput(attrs={"autocomplete": "off",
                                                         "autocapitalize": "characters"}))
    phone = forms.CharField(label=_("or your mobile number"), required=False, max_length=20,
                            help_text=_("Only to make sure each household grades once: it "
                                        "is kept as a one-way code, never in clear."),
                            widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel",
                                                          "autocomplete": "tel"}))
    website = forms.CharField(label=_("Leave this empty"), required=False,
                              widget=forms.TextInput(attrs={"autocomplete": "off",
                                                            "tabindex": "-1"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for aspect in ASPECTS:
            # The choices only offer: a wrong value is the service's to refuse, with the
            # other bad fields.
            self.fields[aspect] = forms.CharField(
                label=ASPECT_LABELS[aspect], required=False,
                widget=forms.RadioSelect(choices=Satisfaction.choices))
        # The aspects first, in the form's order.
        self.order_fields([*ASPECTS, "comments", "code", "phone", "website"])

    def aspect_fields(self):
        return [self[aspect] for aspect in ASPECTS]

    def service_data(self) -> dict:
        data = self.cleaned_data
        return {key: data[key] for key in (*ASPECTS, "comments", "code", "phone")}


class GradingRoundFilterSet(django_filters.FilterSet):
    compound = django_filters.NumberFilter(field_name="compound", label=_("compound"))
    subdistrict = django_filters.NumberFilter(field_name="compound__community__subdistrict",
                                              label=_("subdistrict"))

    class Meta:
        model = GradingRound
        fields = ["compound", "subdistrict"]
