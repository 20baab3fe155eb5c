"""Forms of the programme pages. They only parse input: the services decide, and their
errors are put back next to the fields (compounds.web.form_add_service_errors)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from compounds.models import Compound, User
from renewal.models import Batch, Project

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _model_fields(model, names):
    fields = {}
    for name in names:
        field = model._meta.get_field(name).formfield()
        if isinstance(field, forms.DateField):
            field.widget = DATE
        fields[name] = field
    return fields


class BatchForm(forms.Form):
    FIELDS = ("year", "name", "target_compounds", "target_households", "target_investment",
              "notes")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(_model_fields(Batch, self.FIELDS))
        self.fields["notes"].widget.attrs["rows"] = 3


class CompoundChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Compound) -> str:
        return f"{obj.name}（{obj.community.name}）"


class ProjectCreateForm(forms.Form):
    compound = CompoundChoiceField(queryset=Compound.objects.none(), label=_("compound"))
    batch = forms.ModelChoiceField(queryset=Batch.objects.none(), label=_("batch"))

    def __init__(self, *args, compounds, batches, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["compound"].queryset = compounds.select_related("community").order_by(
            "community__name", "name"
        )
        self.fields["batch"].queryset = batches


class CoordinatorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        name = obj.get_full_name() or obj.username
        return f"{name}（{obj.get_role_display() or _('administrator')}）"


class ProjectForm(forms.Form):
    FIELDS = (
        "delivery_model", "contractor", "designer", "supervisor", *Project.FUNDING_FIELDS,
        "planned_start", "planned_end", "actual_start", "actual_end",
    )

    def __init__(self, *args, coordinators, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(_model_fields(Project, self.FIELDS))
        for name in ("engineering_coordinator", "residents_coordinator"):
            self.fields[name] = CoordinatorChoiceField(
                queryset=coordinators, required=False,
                label=Project._meta.get_field(name).verbose_name,
            )

    @classmethod
    def initial_for(cls, project: Project) -> dict:
        initial = {name: getattr(project, name) for name in cls.FIELDS}
        initial["engineering_coordinator"] = project.engineering_coordinator_id
        initial["residents_coordinator"] = project.residents_coordinator_id
        return initial


class TransitionForm(forms.Form):
    to = forms.CharField(max_length=32, label=_("stage"))
    note = forms.CharField(
        label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
