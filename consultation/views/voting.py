"""Pages: online voting with household codes.

Staff (`/consultation/topics/<id>/codes/`): how many slips are out, used and revoked; a
POST issues codes and answers with the printable slips, the only time the codes are
shown. Residents (`/r/vote/`, no account): enter the code, choose, confirm, done.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from compounds.errors import ApplicationError
from compounds.qr import public_url
from compounds.ratelimit import client_address
from compounds.web import form_add_service_errors, message_application_error
from consultation.models import Choice
from consultation.models.codes import code_format, code_normalize, code_well_formed
from consultation.selectors import topics_visible_to
from consultation.selectors.codes import (
    code_rows,
    code_summary,
    dwelling_label,
    dwellings_without_used_code,
)
from consultation.services.codes import code_check, codes_issue, vote_with_code
from consultation.services.topics import CLOSED_STAGES
from consultation.views.slips import code_slips

SLIPS_PER_SHEET = 8  # 2 × 4 on an A4 sheet
_DONE_KEY = "consultation_vote_done"


# --- staff: codes and slips ------------------------------------------------------------


def vote_url(request) -> str:
    """The public vote page as residents reach it (compounds.qr.public_url)."""
    return public_url(request, reverse("resident:vote"))


def _sheets(request, issued) -> list[list[dict]]:
    slips = code_slips(issued, url=vote_url(request))
    return [slips[i:i + SLIPS_PER_SHEET] for i in range(0, len(slips), SLIPS_PER_SHEET)]


@login_required
@never_cache
def topic_codes(request, topic_id: int):
    """GET: the state of the codes. POST: issue codes (to every dwelling that has not
    voted with one, or with `dwelling` to that one) and show the slips, once."""
    topic = get_object_or_404(
        topics_visible_to(request.user).select_related("compound", "building"), pk=topic_id)
    if request.method == "POST":
        one = request.POST.get("dwelling", "").strip()
        ids = [one] if one else dwellings_without_used_code(topic=topic)
        if not ids:
            messages.info(request, _("Every dwelling has already voted with a code."))
            return redirect("consultation:topic-codes", topic.pk)
        try:
            issued = codes_issue(by=request.user, topic_id=topic.pk, dwelling_ids=ids)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("consultation:topic-codes", topic.pk)
        except ApplicationError as exc:
            message_application_error(request, exc)
            return redirect("consultation:topic-codes", topic.pk)
        response = render(request, "consultation/voting/slips.html", {
            "topic": topic, "sheets": _sheets(request, issued), "count": len(issued),
            "vote_url": vote_url(request).split("://", 1)[-1],
        })
        add_never_cache_headers(response)
        return response

    rows = list(code_rows(topic=topic))
    for row in rows:
        row.label = dwelling_label(row)
    return render(request, "consultation/voting/codes.html", {
        "topic": topic, "summary": code_summary(topic=topic), "rows": rows,
        "vote_url": vote_url(request),
        "voting_closed": topic.stage in CLOSED_STAGES,
    })


# --- residents: the vote page ----------------------------------------------------------


class VoteForm(forms.Form):
    # Blank passes the form so that the service's own message explains what a code is.
    code = forms.CharField(
        label=gettext_lazy("Voting code"), max_length=40, required=False,
        help_text=gettext_lazy("The 10 letters and digits on your slip, e.g. ABCD-EFGH-JK. "
                               "Capitals or not, dashes or not."),
        widget=forms.TextInput(attrs={
            "autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false",
            "autocorrect": "off", "class": "vote-code-input", "maxlength": "40"}),
    )
    choice = forms.CharField(required=False, widget=forms.HiddenInput)
    # The honeypot: hidden from people, filled by bots.
    website = forms.CharField(required=False, label=gettext_lazy("Leave this empty"),
                              widget=forms.TextInput(attrs={"tabindex": "-1",
                                                            "autocomplete": "off"}))


def _render(request, step: str, form: VoteForm, *, row=None, status: int = 200):
    choices = [(value, label) for value, label in Choice.choices]
    context = {"step": step, "form": form, "choices": choices}
    if row is not None:
        context |= {
            "topic": row.topic, "compound": row.dwelling.building.compound,
            "dwelling": dwelling_label(row.dwelling),
            "code": code_normalize(form.cleaned_data.get("code", "")),
        }
        chosen = form.cleaned_data.get("choice", "")
        if chosen in Choice.values:
            context["chosen"] = (chosen, Choice(chosen).label)
    return render(request, "resident/vote.html", context, status=status)


@csrf_protect
@never_cache
def vote(request):
    """Enter the code (prefilled from ?code=), choose, confirm; then the thank-you page."""
    if request.method != "POST":
        given = request.GET.get("code", "")[:40]
        typed = code_normalize(given)
        form = VoteForm(initial={"code": code_format(typed) if code_well_formed(typed) else given})
        return _render(request, "code", form)
    form = VoteForm(request.POST)
    form.is_valid()  # every field is optional: the service judges them
    data = form.cleaned_data
    if data.get("website"):
        form.add_error(None, _("Your vote could not be taken. Please try again."))
        return _render(request, "code", form, status=400)
    step, client = request.POST.get("step", "code"), client_address(request)
    try:
        if step == "confirm":
            ballot = vote_with_code(code=data["code"], choice=data["choice"], client=client)
            dwelling = ballot.dwelling
            request.session[_DONE_KEY] = {
                "topic": ballot.topic.title, "compound": dwelling.building.compound.name,
                "dwelling": dwelling_label(dwelling), "choice": ballot.choice,
            }
            return redirect("resident:vote-done")
        row = code_check(code=data["code"], client=client)
    except ValidationError as exc:
        form_add_service_errors(form, exc)
        if "code" in form.errors:
            return _render(request, "code", form)
        # The code is good, only the choice is not: choose again.
        return _render(request, "choose", form, row=code_check(code=data["code"],
                                                              client=client))
    except ApplicationError as exc:
        form.add_error(None, exc.message)
        return _render(request, "code", form, status=exc.status_code)
    if step == "choose":
        if data["choice"] in Choice.values:
            return _render(request, "confirm", form, row=row)
        form.add_error("choice", _("Choose agree, disagree or abstain."))
    return _render(request, "choose", form, row=row)


@never_cache
def vote_done(request):
    done = request.session.pop(_DONE_KEY, None)
    if done:
        done["choice_label"] = Choice(done["choice"]).label
    return render(request, "resident/vote_done.html", {"done": done})


urlpatterns = [
    path("topics/<int:topic_id>/codes/", topic_codes, name="topic-codes"),
]
public_urlpatterns = [
    path("vote/", vote, name="vote"),
    path("vote/done/", vote_done, name="vote-done"),
]
