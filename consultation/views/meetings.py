"""Staff pages: meetings (协商议事会, 近邻茶话会, 院落恳谈会, 坝坝会, online) — the list,
scheduling, the meeting's page with its history, changes, the minutes (head counts per
role, what was said and decided, a printable copy) and cancelling. Every page starts
from the area gate; the services decide, the forms parse."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from compounds.errors import ApplicationError
from compounds.models import User
from compounds.selectors import compounds_visible_to
from compounds.validation import as_id
from compounds.web import form_add_service_errors, message_application_error
from consultation.filtersets_meetings import MeetingFilterSet
from consultation.forms.meetings import CancelForm, MeetingForm, MinutesForm, topic_choices
from consultation.models.meetings import MeetingState, MeetingType
from consultation.selectors.meetings import (
    attendance_table,
    invitable_staff,
    meeting_get_visible,
    meeting_list,
)
from consultation.selectors.topics import topics_visible_to
from consultation.services.meetings import (
    meeting_cancel,
    meeting_record_minutes,
    meeting_schedule,
    meeting_update,
)
from consultation.views.common import form_to_service, page_of, query_without_page

PAGE_SIZE = 50


@login_required
def meeting_list_page(request):
    filterset = MeetingFilterSet(request.GET, queryset=meeting_list(user=request.user))
    page = page_of(request, filterset.qs, PAGE_SIZE)
    now = timezone.now()
    for meeting in page.object_list:
        meeting.current_state = meeting.state_at(now)
    return render(request, "consultation/meetings/list.html", {
        "filterset": filterset,
        "page": page,
        "query": query_without_page(request),
        "types": MeetingType.choices,
        "states": dict(MeetingState.choices),
    })


def _staff():
    return invitable_staff().select_related("subdistrict", "community").order_by(
        "role", "subdistrict__name", "community__name", "last_name", "first_name", "username"
    )


def _meeting_form(user: User, data=None, *, compound_id=None, meeting=None, initial=None):
    """The schedule form (compound chooser; topics of the chosen compound, or of every
    compound in the area grouped), or the edit form (`meeting`: its compound fixed)."""
    topics = topics_visible_to(user).select_related("compound").order_by(
        "compound__name", "compound_id", "-created_at")
    if meeting is not None:
        compound_id = meeting.compound_id
    if compound_id:
        choices = topic_choices(topics.filter(compound_id=compound_id), grouped=False)
    else:
        choices = topic_choices(topics, grouped=True)
    compounds = None if meeting is not None else compounds_visible_to(user).only("id", "name")
    return MeetingForm(data, compounds=compounds, topics=choices, staff=_staff(),
                       initial=initial)


@login_required
def meeting_create(request):
    """Schedule a meeting; `?compound=` chooses the compound (and its topics) first."""
    user = request.user
    source = request.POST if request.method == "POST" else request.GET
    compound_id = as_id(source.get("compound"))
    if compound_id and not compounds_visible_to(user).filter(pk=compound_id).exists():
        compound_id = None
    initial = {"compound": compound_id, "type": MeetingType.COUNCIL}
    form = _meeting_form(user, request.POST or None, compound_id=compound_id, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        try:
            meeting = meeting_schedule(by=user, compound_id=form.cleaned_data["compound"],
                                       **data)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Meeting “%(title)s” scheduled.")
                             % {"title": meeting.title})
            return redirect("consultation:meeting-detail", meeting.pk)
    return render(request, "consultation/meetings/form.html", {
        "form": form, "meeting": None, "compound_id": compound_id,
    })


def _detail_url(meeting) -> str:
    return reverse("consultation:meeting-detail", args=[meeting.pk])


def _detail(request, meeting, *, status=200):
    return render(request, "consultation/meetings/detail.html", {
        "meeting": meeting,
        "state": meeting.state,
        "attendance": attendance_table(meeting),
        "attendance_total": sum(row.count for row in meeting.attendance.all()),
        "events": meeting.events.all(),
    }, status=status)


@login_required
def meeting_detail(request, pk: int):
    return _detail(request, meeting_get_visible(user=request.user, meeting_id=pk))


@login_required
def meeting_edit(request, pk: int):
    meeting = meeting_get_visible(user=request.user, meeting_id=pk)
    if meeting.is_cancelled:
        messages.error(request, _("This meeting was cancelled: it can no longer be changed."))
        return redirect("consultation:meeting-detail", meeting.pk)
    form = _meeting_form(request.user, request.POST or None, meeting=meeting,
                         initial=MeetingForm.initial_from(meeting))
    if request.method == "POST" and form.is_valid():
        try:
            meeting_update(by=request.user, meeting_id=meeting.pk, data=form.service_data())
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        except ApplicationError as exc:
            message_application_error(request, exc)
        else:
            messages.success(request, _("Meeting saved."))
            return redirect("consultation:meeting-detail", meeting.pk)
    return render(request, "consultation/meetings/form.html", {
        "form": form, "meeting": meeting, "compound_id": meeting.compound_id,
    })


@login_required
def meeting_minutes(request, pk: int):
    """Record (or correct) the minutes: head counts per role, minutes, decisions."""
    meeting = meeting_get_visible(user=request.user, meeting_id=pk)
    form = MinutesForm(request.POST or None, initial=MinutesForm.initial_from(meeting))
    if request.method == "POST" and form.is_valid():
        done = form_to_service(
            request, form,
            lambda: meeting_record_minutes(by=request.user, meeting_id=meeting.pk,
                                           **form.service_data()),
            success=_("Minutes recorded."), then=_detail_url(meeting))
        if done:
            return done
    return render(request, "consultation/meetings/minutes_form.html", {
        "form": form, "meeting": meeting,
        "not_yet": meeting.starts_at > timezone.now(),
    })


@login_required
def meeting_cancel_page(request, pk: int):
    meeting = meeting_get_visible(user=request.user, meeting_id=pk)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = form_to_service(
            request, form,
            lambda: meeting_cancel(by=request.user, meeting_id=meeting.pk,
                                   reason=form.cleaned_data["reason"]),
            success=_("Meeting cancelled."), then=_detail_url(meeting))
        if done:
            return done
    return render(request, "consultation/meetings/cancel.html", {
        "form": form, "meeting": meeting,
    })


@login_required
def meeting_print(request, pk: int):
    """The minutes as a plain document to print or save as PDF."""
    meeting = meeting_get_visible(user=request.user, meeting_id=pk)
    return render(request, "consultation/meetings/print.html", {
        "meeting": meeting,
        "attendance": [row for row in attendance_table(meeting) if row.count is not None],
        "attendance_total": sum(row.count for row in meeting.attendance.all()),
        "printed_at": timezone.now(),
    })


urlpatterns = [
    path("meetings/", meeting_list_page, name="meeting-list"),
    path("meetings/new/", meeting_create, name="meeting-create"),
    path("meetings/<int:pk>/", meeting_detail, name="meeting-detail"),
    path("meetings/<int:pk>/edit/", meeting_edit, name="meeting-edit"),
    path("meetings/<int:pk>/minutes/", meeting_minutes, name="meeting-minutes"),
    path("meetings/<int:pk>/minutes/print/", meeting_print, name="meeting-print"),
    path("meetings/<int:pk>/cancel/", meeting_cancel_page, name="meeting-cancel"),
]
public_urlpatterns = []
