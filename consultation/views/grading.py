"""Pages of satisfaction grading (请您阅卷).

Staff (area gate first): the overview of satisfaction rates by compound, subdistrict and
for the whole area; a compound's rounds, rates and comments, where a round is opened
once the work is done (staff judge that), closed, and its grading codes printed.
Residents (no account, /r/): the phone form, with a code from the slip or a mobile
number; a honeypot; a per-address limit (429)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from compounds.errors import ApplicationError
from compounds.qr import public_url
from compounds.ratelimit import client_address
from compounds.selectors import compound_get_visible, compounds_visible_to, sees_whole_district
from compounds.validation import as_id
from compounds.web import form_add_service_errors, message_application_error
from consultation.forms.grading import CodesForm, GradeForm, RoundOpenForm
from consultation.models.codes import code_format, code_normalize, code_well_formed
from consultation.models.grading import ASPECTS
from consultation.selectors.grading import (
    compound_rounds,
    grading_overview,
    public_compound,
    round_comments,
    round_for_compound,
    round_get_visible,
)
from consultation.selectors.visits import compound_buildings
from consultation.services.grading import (
    grading_codes_issue,
    grading_limit_check,
    grading_limit_count,
    grading_submit,
    round_close,
    round_open,
)
from consultation.views.common import form_to_service
from consultation.views.slips import code_slips

# --- staff -----------------------------------------------------------------------------


@login_required
def overview_page(request):
    user = request.user
    chosen = as_id(request.GET.get("compound"))
    if chosen:  # the picker at the foot of the page (the compound page checks the area)
        return redirect("consultation:grading-compound", chosen)
    return render(request, "consultation/grading/overview.html", {
        "overview": grading_overview(user=user),
        "aspects": ASPECTS,
        "whole_district": sees_whole_district(user),
        "compounds": compounds_visible_to(user).order_by("name", "id").only("id", "name"),
    })


def _compound_page(request, compound, *, open_form=None, status=200):
    rounds = compound_rounds(compound=compound)
    wanted = request.GET.get("round")
    selected = next(((r, rates) for r, rates in rounds if str(r.pk) == wanted),
                    rounds[0] if rounds else None)
    today = timezone.localdate()
    unclosed = next((r for r, _rates in rounds if r.closed_at is None), None)
    return render(request, "consultation/grading/compound.html", {
        "compound": compound,
        "rounds": rounds,
        "selected": selected,
        "comments": round_comments(grading_round=selected[0]) if selected else [],
        "unclosed": unclosed,
        "unclosed_open": bool(unclosed and unclosed.is_open_on(today)),
        "open_form": open_form or RoundOpenForm(),
        "codes_form": CodesForm(buildings=compound_buildings(compound_id=compound.pk)),
        "public_url": reverse("resident:grade", args=[compound.pk]),
    }, status=status)


@login_required
def compound_page(request, compound_id: int):
    """A compound's rounds with their rates and comments; POST opens a round."""
    compound = compound_get_visible(user=request.user, compound_id=compound_id)
    if request.method != "POST":
        return _compound_page(request, compound)
    form = RoundOpenForm(request.POST)
    if form.is_valid():
        done = form_to_service(
            request, form,
            lambda: round_open(by=request.user, compound_id=compound.pk, **form.cleaned_data),
            success=lambda opened: (_("Grading round “%(title)s” opened.")
                                    % {"title": opened.title}),
            then=reverse("consultation:grading-compound", args=[compound.pk]))
        if done:
            return done
    return _compound_page(request, compound, open_form=form)


@login_required
@require_POST
def round_close_view(request, pk: int):
    grading_round = round_get_visible(user=request.user, round_id=pk)
    round_close(by=request.user, round_id=grading_round.pk)
    messages.success(request, _("Grading round “%(title)s” closed.")
                     % {"title": grading_round.title})
    return redirect("consultation:grading-compound", grading_round.compound_id)


@login_required
@require_POST
def codes_view(request, pk: int):
    """Issue grading codes and show them, once, as printable slips with a QR code each.
    Printing again reissues: the earlier unused slips stop working."""
    grading_round = round_get_visible(user=request.user, round_id=pk)
    compound = grading_round.compound
    form = CodesForm(request.POST, buildings=compound_buildings(compound_id=compound.pk))
    building_id = form.cleaned_data["building"] if form.is_valid() else None
    try:
        issued = grading_codes_issue(by=request.user, round_id=grading_round.pk,
                                     building_id=building_id)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("consultation:grading-compound", compound.pk)
    except ApplicationError as exc:
        message_application_error(request, exc)
        return redirect("consultation:grading-compound", compound.pk)
    form_url = public_url(request, reverse("resident:grade", args=[compound.pk]))
    response = render(request, "consultation/grading/slips.html", {
        "round": grading_round, "compound": compound, "form_url": form_url,
        "slips": code_slips(issued, url=form_url, scale=3, sized=True),
    })
    response["Cache-Control"] = "no-store"  # the codes are shown once
    return response


# --- residents -------------------------------------------------------------------------


def grade(request, compound_id: int):
    compound = public_compound(compound_id=compound_id)
    grading_round = round_for_compound(compound_id=compound.pk)
    today = timezone.localdate()
    if grading_round is None or not grading_round.is_open_on(today):
        return render(request, "resident/grade_closed.html", {
            "compound": compound, "round": grading_round,
            "scheduled": bool(grading_round and grading_round.opens_on > today),
        })
    if request.method != "POST":
        code = code_normalize(request.GET.get("code", ""))[:32]
        form = GradeForm(initial={"code": code_format(code) if code_well_formed(code) else code})
        return _grade_page(request, compound, grading_round, form)

    client = client_address(request)
    if request.POST.get("website"):  # the honeypot: thank the robot, keep nothing
        try:
            grading_limit_check(client)
        except ApplicationError as exc:
            return _limited(request, compound, exc)
        grading_limit_count(client)
        return redirect("resident:grade-thanks", compound.pk)
    form = GradeForm(request.POST)
    if form.is_valid():
        try:
            grading_submit(round_id=grading_round.pk, client=client, **form.service_data())
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        except ApplicationError as exc:
            if exc.status_code == 429:
                return _limited(request, compound, exc)
            form.add_error(None, exc.message)
        else:
            return redirect("resident:grade-thanks", compound.pk)
    return _grade_page(request, compound, grading_round, form)


def _grade_page(request, compound, grading_round, form):
    return render(request, "resident/grade.html", {
        "compound": compound, "round": grading_round, "form": form,
    })


def _limited(request, compound, exc):
    return render(request, "resident/grade_limited.html",
                  {"compound": compound, "message": exc.message}, status=429)


def grade_thanks(request, compound_id: int):
    return render(request, "resident/grade_thanks.html",
                  {"compound": public_compound(compound_id=compound_id)})


urlpatterns = [
    path("grading/", overview_page, name="grading-overview"),
    path("grading/compounds/<int:compound_id>/", compound_page, name="grading-compound"),
    path("grading/rounds/<int:pk>/close/", round_close_view, name="grading-round-close"),
    path("grading/rounds/<int:pk>/codes/", codes_view, name="grading-codes"),
]
public_urlpatterns = [
    path("c/<int:compound_id>/grade/", grade, name="grade"),
    path("c/<int:compound_id>/grade/thanks/", grade_thanks, name="grade-thanks"),
]
