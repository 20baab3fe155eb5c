"""The residents' pages (no account; mounted at the root, namespace `public-issues`):
the QR landing /q/<code>, the phone form, the thank-you, the tracking page /t/<code>/
with the confirm-and-rate and reopen forms, and /t/ to look a code up.

Abuse limits (grievances.limits): the honeypot answers a filled form with the thank-you
page without a tracking code and saves nothing; rate limits answer 429 on the form.
Nothing typed is lost: every refusal re-renders the form with what was sent (photos must
be chosen again, and the message says so). Never shown here: the reporter's name or
phone, staff names, internal notes.
"""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from compounds.errors import ApplicationError
from compounds.models import Compound
from compounds.ratelimit import client_address
from compounds.web import form_add_service_errors
from grievances.forms_public import (
    ConfirmForm,
    LookupForm,
    ReopenForm,
    ReportForm,
    active_categories,
    status_words,
)
from grievances.limits import check_submit_limits, honeypot_filled
from grievances.models import Channel, Grievance, QRPoint, Status
from grievances.selectors import grievance_by_tracking_code, normalize_code, public_timeline
from grievances.services.handling import REOPEN_DAYS, grievance_confirm, grievance_reopen
from grievances.services.intake import grievance_submit
from grievances.services.qr import buildings_of, normalize_qr_code

# The progress line a resident sees: (step, label); statuses map onto the steps.
STEPS = (
    ("received", gettext_lazy("Received")),
    ("accepted", gettext_lazy("Accepted")),
    ("handling", gettext_lazy("Being handled")),
    ("resolved", gettext_lazy("Resolved")),
    ("closed", gettext_lazy("Closed")),
)
STEP_OF = {
    Status.RECEIVED: 0, Status.ACCEPTED: 1, Status.ASSIGNED: 2, Status.IN_PROGRESS: 2,
    Status.REOPENED: 2, Status.RESOLVED: 3, Status.CLOSED: 4,
}


def idea_url(compound_id: int) -> str:
    """The golden-idea form of a compound (the consultation app's resident page)."""
    return f"/r/c/{compound_id}/idea/"


def _point_or_gone(request, code: str):
    """(active point, None) or (None, a 404 page that says the code is not in use)."""
    point = (QRPoint.objects.select_related("compound__community", "building")
             .filter(code=normalize_qr_code(code)).first())
    if point is not None and point.active:
        return point, None
    return None, render(request, "resident/issue_gone.html",
                        {"compound": point.compound if point else None}, status=404)


def qr_landing(request, code: str):
    """What a scan opens: the compound, and three big ways on."""
    point, gone = _point_or_gone(request, code)
    if gone:
        return gone
    return render(request, "resident/issue_landing.html", {
        "point": point, "compound": point.compound,
        "report_url": reverse("public-issues:report", args=[point.code]),
        "idea_url": idea_url(point.compound_id),
    })


def report_qr(request, code: str):
    point, gone = _point_or_gone(request, code)
    if gone:
        return gone
    return _report(request, compound=point.compound, point=point)


def report_compound(request, compound_id: int):
    compound = Compound.objects.select_related("community").filter(pk=compound_id).first()
    if compound is None:
        raise Http404("compound not found")
    return _report(request, compound=compound, point=None)


def _report(request, *, compound, point):
    categories = active_categories()
    buildings = list(buildings_of(compound))
    context = {"compound": compound, "point": point}
    if request.method != "POST":
        initial = {"building": str(point.building_id) if point and point.building_id else ""}
        form = ReportForm(initial=initial, categories=categories, buildings=buildings)
        return _render_form(request, form, context)

    form = ReportForm(request.POST, request.FILES, categories=categories, buildings=buildings)
    if honeypot_filled(request.POST):
        return render(request, "resident/issue_thanks.html", {"compound": compound})
    form.is_valid()  # parses only; the service decides
    data = form.cleaned_data
    sent_photos = bool(data.get("photos"))
    try:
        check_submit_limits(address=client_address(request), phone=data.get("phone", ""))
        grievance = grievance_submit(
            by=None, channel=Channel.QR, compound_id=compound.pk,
            qr_code=point.code if point else None, category_code=data.get("category", ""),
            description=data.get("description", ""), building_id=data.get("building") or None,
            unit=data.get("unit", ""), name=data.get("name", ""), phone=data.get("phone", ""),
            consent_contact=data.get("consent_contact", False), photos=data.get("photos", []),
            idempotency_key=form.idempotency_key(),
        )
    except ValidationError as exc:
        form_add_service_errors(form, exc)
        _photos_again(form, sent_photos)
        return _render_form(request, form, context, status=400)
    except ApplicationError as exc:
        if exc.extra:
            for field, messages in exc.extra.items():
                for message in messages:
                    form.add_error(field if field in form.fields else None, message)
        else:
            form.add_error(None, exc.message)
        _photos_again(form, sent_photos)
        return _render_form(request, form, context, status=exc.status_code)
    return redirect(reverse("public-issues:track", args=[grievance.tracking_code]) + "?new=1")


def _photos_again(form: ReportForm, sent_photos: bool) -> None:
    if sent_photos:
        form.add_error("photos", _("Your other answers are kept, but the browser cannot keep "
                                   "photos: please choose them again."))


def _render_form(request, form, context, status=200):
    return render(request, "resident/issue_report.html", {**context, "form": form},
                  status=status)


# --- tracking ----------------------------------------------------------------------------

def _progress(status: str) -> list[tuple[str, str, str]]:
    current = STEP_OF.get(status)
    steps = []
    for index, (key, label) in enumerate(STEPS):
        if current is None:
            state = ""
        elif index < current:
            state = "done"
        elif index == current:
            state = "current"
        else:
            state = ""
        steps.append((key, label, state))
    return steps


def _track_page(request, grievance: Grievance, *, confirm_form=None, reopen_form=None,
                error: str = "", status: int = 200):
    shown = grievance.merged_into if grievance.status == Status.MERGED else grievance
    can_answer = grievance.status == Status.RESOLVED
    reopen_until = None
    if can_answer and grievance.resolved_at:
        reopen_until = grievance.resolved_at + timedelta(days=REOPEN_DAYS)
        if timezone.now() > reopen_until:
            reopen_until = None
    return render(request, "resident/issue_track.html", {
        "g": grievance, "shown": shown or grievance,
        "merged": grievance.status == Status.MERGED,
        "steps": _progress((shown or grievance).status),
        "status_words": status_words((shown or grievance).status),
        "timeline": [{"at": e.at, "kind": e.kind, "text": e.text,
                      "status_label": status_words(e.status) if e.status else ""}
                     for e in public_timeline(grievance=grievance)],
        "can_confirm": can_answer,
        "can_reopen": can_answer and reopen_until is not None,
        "reopen_until": reopen_until,
        "confirm_form": confirm_form or ConfirmForm(),
        "reopen_form": reopen_form or ReopenForm(),
        "error": error, "new": request.GET.get("new") == "1",
        "thanks": request.GET.get("done"),
    }, status=status)


@never_cache
def track(request, tracking_code: str):
    try:
        grievance = grievance_by_tracking_code(tracking_code)
    except Http404:
        form = LookupForm(initial={"code": tracking_code})
        return render(request, "resident/issue_lookup.html",
                      {"form": form, "unknown": True}, status=404)
    if grievance.tracking_code != tracking_code:
        return redirect("public-issues:track", grievance.tracking_code)
    return _track_page(request, grievance)


def _track_action(request, tracking_code: str, *, form_class, form_key: str, act, done: str):
    """A resident's action on the tracking page (confirm and rate, or reopen): the form,
    the service, then back to the page with `?done=…`, or the page again with the errors."""
    grievance = grievance_by_tracking_code(tracking_code)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            act(grievance.tracking_code, form.cleaned_data)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        except ApplicationError as exc:
            return _track_page(request, grievance, **{form_key: form}, error=exc.message,
                               status=exc.status_code)
        else:
            return redirect(reverse("public-issues:track", args=[grievance.tracking_code])
                            + f"?done={done}")
    return _track_page(request, grievance, **{form_key: form}, status=400)


@require_POST
def track_confirm(request, tracking_code: str):
    return _track_action(
        request, tracking_code, form_class=ConfirmForm, form_key="confirm_form",
        done="rated", act=lambda code, data: grievance_confirm(
            tracking_code=code, rating=data["rating"], comment=data["comment"]),
    )


@require_POST
def track_reopen(request, tracking_code: str):
    return _track_action(
        request, tracking_code, form_class=ReopenForm, form_key="reopen_form",
        done="reopened", act=lambda code, data: grievance_reopen(
            tracking_code=code, reason=data["reason"]),
    )


def track_lookup(request):
    """Enter a tracking code (GET ?code=…): to its page, or an error beside the field."""
    form = LookupForm(request.GET or None)
    if form.is_bound and form.is_valid():
        code = normalize_code(form.cleaned_data["code"])
        if Grievance.objects.filter(tracking_code=code).exists():
            return redirect("public-issues:track", code)
        form.add_error("code", _("No report has this tracking code. Check the code in your "
                                 "SMS or on your note."))
        return render(request, "resident/issue_lookup.html", {"form": form}, status=404)
    return render(request, "resident/issue_lookup.html", {"form": form})


staff_urlpatterns = []
public_urlpatterns = [
    path("q/<str:code>", qr_landing, name="qr"),
    path("q/<str:code>/", qr_landing, name="qr-slash"),
    path("q/<str:code>/report/", report_qr, name="report"),
    path("r/c/<int:compound_id>/report/", report_compound, name="report-compound"),
    path("t/", track_lookup, name="track-lookup"),
    path("t/<str:tracking_code>/", track, name="track"),
    path("t/<str:tracking_code>/confirm/", track_confirm, name="track-confirm"),
    path("t/<str:tracking_code>/reopen/", track_reopen, name="track-reopen"),
]
open311_urlpatterns = []
