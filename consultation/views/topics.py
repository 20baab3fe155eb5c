"""Staff pages of topics: the list (with each topic's tally), a new topic, a topic's
seven steps, tally and support curve, and its ballots dwelling by dwelling (record one,
export them). Thin: parse, call a selector or a service, render. Area gate first: another
area's topic is a 404."""

from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from compounds.errors import ApplicationError
from compounds.models import Dwelling
from compounds.selectors import (
    communities_visible_to,
    compound_get_visible,
    compounds_visible_to,
    subdistricts_visible_to,
)
from compounds.statemachine import available_moves
from compounds.validation import as_id
from compounds.web import form_add_service_errors
from compounds.xlsx import xlsx_response
from consultation.charts import topic_support_chart
from consultation.filtersets import VOTE_CHOICES, TopicBallotRowFilterSet, TopicFilterSet
from consultation.forms.topics import (
    BallotRecordForm,
    TopicCompoundForm,
    TopicForm,
    TopicMoveForm,
)
from consultation.models import Choice, Method, Rule, Scope, Topic, TopicKind
from consultation.models.topics import TOPIC_STAGE_ORDER, TOPIC_TRANSITIONS, TopicStage
from consultation.selectors import eligible_dwellings, topic_tally
from consultation.selectors.topic_lists import (
    affected_dwellings_with_votes,
    compound_building_options,
    dwelling_options,
    tallies_for_topics,
    topic_ballot_rows,
    topic_ballot_summary,
    topic_get_visible,
    topics_for_list,
)
from consultation.services import ballot_cast, topic_create, topic_move
from consultation.services.topics import CLOSED_STAGES
from consultation.views.common import page_of, query_without_page

PAGE_SIZE = 50
BALLOT_PAGE_SIZE = 100


# --- the list ---------------------------------------------------------------------------


@login_required
def topic_list(request):
    """The user's topics, filtered, a page at a time, each with its tally (a fixed number
    of queries for the page, not one per row)."""
    user = request.user
    filterset = TopicFilterSet(request.GET, queryset=topics_for_list(user=user))
    page = page_of(request, filterset.qs, PAGE_SIZE)
    page.object_list = list(page.object_list)
    tallies = tallies_for_topics(page.object_list)
    for topic in page.object_list:
        topic.tally = tallies[topic.pk]
    return render(request, "consultation/topics/list.html", {
        "filterset": filterset,
        "page": page,
        "query": query_without_page(request),
        "kinds": TopicKind.choices,
        "rules": Rule.choices,
        "scopes": Scope.choices,
        "stages": TopicStage.choices,
        "subdistricts": list(subdistricts_visible_to(user).order_by("name")),
        "communities": list(communities_visible_to(user).order_by("name")),
    })


# --- a new topic ------------------------------------------------------------------------


@login_required
def topic_new(request):
    """Two steps without JavaScript: choose the compound (`?compound=`, also how the
    compound page links here), then the topic with that compound's buildings and
    dwellings to choose from."""
    source = request.POST if request.method == "POST" else request.GET
    compound_id = as_id(source.get("compound"))
    if compound_id is None:
        compounds = compounds_visible_to(request.user).select_related("community").order_by(
            "community__name", "name"
        )
        return render(request, "consultation/topics/new.html", {
            "chooser": TopicCompoundForm(compounds=compounds),
        })
    compound = compound_get_visible(user=request.user, compound_id=compound_id)
    options = {
        "buildings": compound_building_options(compound_id=compound.pk),
        "dwellings": dwelling_options(
            Dwelling.objects.filter(building__compound_id=compound.pk)
        ).choices,
    }
    if request.method == "POST":
        form = TopicForm(request.POST, **options)
        if form.is_valid():
            try:
                topic = topic_create(by=request.user, **form.service_data())
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                messages.success(request, _("Topic “%(title)s” created at the step “%(stage)s”.")
                                 % {"title": topic.title, "stage": topic.get_stage_display()})
                return redirect("consultation:topic-detail", topic.pk)
    else:
        form = TopicForm(initial={"compound": compound.pk}, **options)
    return render(request, "consultation/topics/new.html", {"form": form, "compound": compound})


# --- one topic --------------------------------------------------------------------------


def _steps(current: str, history: list) -> list[dict]:
    """The seven steps in order, each with its state and what was done in it (the text of
    every move that left it, oldest first)."""
    position = TOPIC_STAGE_ORDER.index(current)
    left = defaultdict(list)
    for change in history:
        left[change.from_stage].append(change)
    labels = dict(TopicStage.choices)
    return [
        {"value": value, "label": labels[value], "records": left[value],
         "next": TOPIC_STAGE_ORDER[i + 1] if i + 1 < len(TOPIC_STAGE_ORDER) else None,
         "state": "done" if i < position else "current" if i == position else "todo"}
        for i, value in enumerate(TOPIC_STAGE_ORDER)
    ]


def _render_detail(request, topic: Topic, *, form=None, error=None, status=200):
    history = list(topic.stage_history.select_related("by"))
    moves = available_moves(current=topic.stage, transitions=TOPIC_TRANSITIONS,
                            choices=TopicStage)
    position = TOPIC_STAGE_ORDER.index(topic.stage)
    affected = []
    if topic.kind == TopicKind.ELEVATOR:
        affected = affected_dwellings_with_votes(topic=topic)
        for dwelling in affected:
            dwelling.choice_label = _label(Choice.choices, dwelling.choice)
    return render(request, "consultation/topics/detail.html", {
        "topic": topic,
        "steps": _steps(topic.stage, history),
        "history": history,
        "moves": [{"value": value, "label": label,
                   "back": TOPIC_STAGE_ORDER.index(value) < position}
                  for value, label in moves],
        "form": form or TopicMoveForm(),
        "error": error,
        "tally": topic_tally(topic=topic),
        "affected": affected,
        "chart": topic_support_chart(topic=topic),
    }, status=status)


@login_required
def topic_detail(request, pk: int):
    return _render_detail(request, topic_get_visible(user=request.user, topic_id=pk))


@login_required
@require_POST
def topic_move_view(request, pk: int):
    """One move between the seven steps. A refused move re-renders the page with the
    reason and keeps the text the user typed."""
    topic = topic_get_visible(user=request.user, topic_id=pk)
    form = TopicMoveForm(request.POST)
    if form.is_valid():
        try:
            topic = topic_move(by=request.user, topic_id=topic.pk, **form.cleaned_data)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        except ApplicationError as exc:
            return _render_detail(request, topic, form=form, error=exc, status=exc.status_code)
        else:
            messages.success(request, _("The topic is now at the step “%(stage)s”.")
                             % {"stage": topic.get_stage_display()})
            return redirect("consultation:topic-detail", topic.pk)
    return _render_detail(request, topic, form=form, status=400)


# --- ballots of a topic -----------------------------------------------------------------


def _recorder(row: Dwelling) -> str:
    name = f"{row.recorder_first_name or ''} {row.recorder_last_name or ''}".strip()
    return name or row.recorder_username or ""


def _filtered_rows(request, topic: Topic) -> TopicBallotRowFilterSet:
    return TopicBallotRowFilterSet(request.GET, queryset=topic_ballot_rows(topic=topic))


def _label(choices, value) -> str:
    return str(dict(choices).get(value, "")) if value else ""


@login_required
def topic_ballots(request, pk: int):
    """Every dwelling in the topic's scope with its standing vote, and the form that
    records one (it posts here; a revote replaces the standing vote)."""
    topic = topic_get_visible(user=request.user, topic_id=pk)
    options = dwelling_options(eligible_dwellings(topic))
    form = None
    if request.method == "POST":
        form = BallotRecordForm(request.POST, request.FILES, dwellings=options.choices)
        if form.is_valid():
            data = form.cleaned_data
            try:
                ballot = ballot_cast(by=request.user, topic_id=topic.pk,
                                     dwelling_id=data["dwelling"], choice=data["choice"],
                                     method=data["method"], sheet_photo=data["sheet_photo"])
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Vote recorded: %(dwelling)s, %(choice)s.") % {
                    "dwelling": ballot.dwelling, "choice": ballot.get_choice_display()})
                url = reverse("consultation:topic-ballots", args=[topic.pk])
                query = request.GET.urlencode()
                return redirect(f"{url}?{query}" if query else url)
    filterset = _filtered_rows(request, topic)
    page = page_of(request, filterset.qs, BALLOT_PAGE_SIZE)
    page.object_list = list(page.object_list)
    for row in page.object_list:
        row.recorder = _recorder(row)
        row.choice_label = _label(Choice.choices, row.choice)
        row.method_label = _label(Method.choices, row.method)
    return render(request, "consultation/topics/ballots.html", {
        "topic": topic,
        "filterset": filterset,
        "page": page,
        "query": query_without_page(request),
        "vote_choices": VOTE_CHOICES,
        "buildings": options.buildings,
        "summary": topic_ballot_summary(topic=topic),
        "form": form or BallotRecordForm(dwellings=options.choices),
        "voting_closed": topic.stage in CLOSED_STAGES,
    }, status=400 if form is not None and form.errors else 200)


@login_required
def topic_ballots_export(request, pk: int):
    """The ballots as filtered on the page, every row, as .xlsx. Owners' names and
    phones are masked for those who see them masked on the page."""
    topic = topic_get_visible(user=request.user, topic_id=pk)
    filterset = _filtered_rows(request, topic)
    contact = request.user.sees_owner_contact
    columns = [
        (_("Building"), lambda d: d.building.number),
        (_("Unit"), lambda d: d.unit),
        (_("Dwelling number"), lambda d: d.number),
        (_("Exclusive area (m²)"), lambda d: d.area),
        (_("Owner name"), lambda d: d.owner_name if contact else d.masked_owner_name),
        (_("Owner phone"), lambda d: d.owner_phone if contact else d.masked_owner_phone),
        (_("Choice"), lambda d: _label(Choice.choices, d.choice) or _("not yet voted")),
        (_("Method"), lambda d: _label(Method.choices, d.method)),
        (_("Recorded by"), _recorder),
        (_("Cast at"), lambda d: d.cast_at),
        (_("Photo of the signed sheet"), lambda d: _("Yes") if d.sheet_photo else _("No")),
    ]
    return xlsx_response(filename=_("ballots-%(topic)s") % {"topic": topic.title},
                         title=_("Ballots"), columns=columns, rows=filterset.qs)


urlpatterns = [
    path("topics/", topic_list, name="topic-list"),
    path("topics/new/", topic_new, name="topic-create"),
    path("topics/<int:pk>/", topic_detail, name="topic-detail"),
    path("topics/<int:pk>/stage/", topic_move_view, name="topic-move"),
    path("topics/<int:pk>/ballots/", topic_ballots, name="topic-ballots"),
    path("topics/<int:pk>/ballots/export/", topic_ballots_export, name="topic-ballots-export"),
]
public_urlpatterns: list = []
