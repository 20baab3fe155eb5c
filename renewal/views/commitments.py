"""Staff pages: a compound's public commitments (实事承诺): list, add, edit, tick off.
The public compound page shows them; here staff keep them. Area gate first."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from compounds.selectors import compound_get_visible
from compounds.web import form_add_service_errors
from renewal.forms_works import CommitmentForm, TickForm
from renewal.models.commitments import MAX_COMMITMENTS_PER_YEAR
from renewal.selectors.commitments import commitment_get_visible, compound_commitments_by_year
from renewal.services.commitments import commitment_create, commitment_tick, commitment_update


def _compound_page(request, compound, *, form=None, tick_forms=None):
    this_year = timezone.localdate().year
    years = compound_commitments_by_year(compound_id=compound.pk)
    tick_forms = tick_forms or {}
    for _year, commitments in years:
        for c in commitments:
            c.tick_form = tick_forms.get(c.pk) or TickForm(
                initial={"done_on": timezone.localdate()}, prefix=f"c{c.pk}"
            )
    counts = {year: len(commitments) for year, commitments in years}
    return render(request, "renewal/commitments/compound.html", {
        "compound": compound,
        "years": years,
        "form": form or CommitmentForm(initial={"year": this_year}),
        "max_per_year": MAX_COMMITMENTS_PER_YEAR,
        "this_year_full": counts.get(this_year, 0) >= MAX_COMMITMENTS_PER_YEAR,
        "this_year": this_year,
    })


@login_required
def compound_commitments(request, compound_id: int):
    """The list by year, and the form that adds one (it posts here)."""
    compound = compound_get_visible(user=request.user, compound_id=compound_id)
    if request.method != "POST":
        return _compound_page(request, compound)
    form = CommitmentForm(request.POST)
    if form.is_valid():
        try:
            commitment = commitment_create(by=request.user, compound_id=compound.pk,
                                           **form.service_data())
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Commitment “%(title)s” added.")
                             % {"title": commitment.title})
            return redirect("commitments:compound", compound.pk)
    return _compound_page(request, compound, form=form)


@login_required
def commitment_edit(request, pk: int):
    commitment = commitment_get_visible(user=request.user, commitment_id=pk)
    form = CommitmentForm(request.POST or None, initial=CommitmentForm.initial_from(commitment))
    if request.method == "POST" and form.is_valid():
        try:
            commitment_update(commitment_id=commitment.pk, by=request.user,
                              data=form.service_data())
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Commitment saved."))
            return redirect("commitments:compound", commitment.compound_id)
    return render(request, "renewal/commitments/edit.html", {
        "form": form, "commitment": commitment, "compound": commitment.compound,
    })


@login_required
@require_POST
def commitment_tick_view(request, pk: int):
    """Tick off (on the day given, today by default) or, with `undo`, take it back."""
    commitment = commitment_get_visible(user=request.user, commitment_id=pk)
    form = TickForm(request.POST, prefix=f"c{commitment.pk}")
    undo = "undo" in request.POST
    if form.is_valid():
        try:
            commitment_tick(commitment_id=commitment.pk, by=request.user,
                            done_on=form.cleaned_data["done_on"], undo=undo)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            text = (_("“%(title)s” is no longer ticked off.") if undo
                    else _("“%(title)s” ticked off as done."))
            messages.success(request, text % {"title": commitment.title})
            return redirect("commitments:compound", commitment.compound_id)
    return _compound_page(request, commitment.compound,
                          tick_forms={commitment.pk: form})


urlpatterns = [
    path("compounds/<int:compound_id>/", compound_commitments, name="compound"),
    path("<int:pk>/edit/", commitment_edit, name="edit"),
    path("<int:pk>/tick/", commitment_tick_view, name="tick"),
]
