"""Staff page: adopt a golden idea (金点子) — choose the work item of its compound it
became. It lives in renewal because the work items are renewal's (consultation never
imports renewal); mounted at /ideas-adopt/ in the namespace `ideas` (`ideas:adopt`).
The idea's own page is consultation's (`consultation:idea-detail`)."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from consultation.models.ideas import IdeaStatus
from consultation.selectors.ideas import idea_get_visible
from consultation.views.common import form_to_service
from renewal.models import ItemStatus
from renewal.selectors.access import work_items_visible_to
from renewal.services.ideas import idea_adopt


class AdoptForm(forms.Form):
    work_item = forms.TypedChoiceField(label=gettext_lazy("work item it became"), coerce=int,
                                       widget=forms.RadioSelect(attrs={"class": "checklist"}))
    note = forms.CharField(label=gettext_lazy("note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["work_item"].choices = [(item.pk, _item_label(item)) for item in items]


def _item_label(item) -> str:
    label = item.type.name
    if item.description:
        label += f" · {item.description}"
    label += f"（{item.project.batch}）"
    if item.idea_id:
        label += " " + _("— already from idea #%(id)s") % {"id": item.idea_id}
    return label


@login_required
def idea_adopt_page(request, idea_id: int):
    idea = idea_get_visible(user=request.user, idea_id=idea_id)
    items = (
        work_items_visible_to(request.user)
        .filter(project__compound_id=idea.compound_id)
        .exclude(status=ItemStatus.CANCELLED)
        .select_related("type", "project__batch")
        .order_by("project__batch__year", "type__category", "type__sort", "id")
    )
    form = AdoptForm(request.POST or None, items=items)
    if request.method == "POST" and form.is_valid():
        done = form_to_service(
            request, form,
            lambda: idea_adopt(by=request.user, idea_id=idea.pk,
                               work_item_id=form.cleaned_data["work_item"],
                               note=form.cleaned_data["note"]),
            success=_("Idea adopted."),
            then=reverse("consultation:idea-detail", args=[idea.pk]))
        if done:
            return done
    return render(request, "renewal/ideas/adopt.html", {
        "idea": idea, "form": form, "has_items": bool(form.fields["work_item"].choices),
        "adoptable": idea.status in (IdeaStatus.UNDER_REVIEW, IdeaStatus.ADOPTED),
    })


urlpatterns = [
    path("<int:idea_id>/adopt/", idea_adopt_page, name="adopt"),
]
