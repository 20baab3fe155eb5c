"""Staff pages: door-to-door visits. The visit form is made for a worker standing at a
door with one free hand: few fields, what was used last remembered, one "save"; the
visit's page then offers its follow-ups (a vote, a golden idea, a resident issue) as one
tap each. Usable without JavaScript (choosing the building reloads the form); the area
gate first everywhere."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from compounds.selectors import compounds_visible_to
from compounds.validation import as_id
from compounds.web import form_add_service_errors
from consultation.forms.visits import (
    BallotFollowForm,
    GrievanceFollowForm,
    IdeaFollowForm,
    VisitFilterSet,
    VisitForm,
)
from consultation.models import Choice
from consultation.models.visits import VisitMethod
from consultation.selectors.visits import (
    attitude_summary,
    building_dwellings,
    compound_buildings,
    open_topics,
    visit_get_visible,
    visit_list,
)
from consultation.services.visits import (
    visit_log,
    visit_to_ballot,
    visit_to_grievance,
    visit_to_idea,
)
from consultation.views.common import form_to_service, page_of, query_without_page
from grievances.models import Category

PAGE_SIZE = 50
# What the form remembers between visits: {"compound", "method", "topics": {compound: id}}.
SESSION_KEY = "consultation.visits.last"

# Pages of the records a visit becomes, where their apps have them (first that exists).
IDEA_URLS = ("consultation:idea-detail",)
GRIEVANCE_URLS = ("grievances:detail", "grievances:grievance-detail")


def _first_url(names, pk) -> str | None:
    for name in names:
        try:
            return reverse(name, args=[pk])
        except NoReverseMatch:
            continue
    return None


# --- the visit form --------------------------------------------------------------------


def _pick(items, pk):
    pk = as_id(pk)
    return next((item for item in items if item.pk == pk), None)


def _form_page(request, *, source: QueryDict, form: VisitForm | None = None, status=200):
    """The form, for the compound and building in `source` (the GET query, or the
    refused POST); what the session remembers fills the rest."""
    user = request.user
    remembered = request.session.get(SESSION_KEY, {})
    compounds = list(compounds_visible_to(user).order_by("name", "id").only("id", "name"))
    compound = _pick(compounds, source.get("compound"))
    if compound is None and "compound" not in source:
        compound = _pick(compounds, remembered.get("compound"))
        if compound is None and len(compounds) == 1:
            compound = compounds[0]
    buildings = list(compound_buildings(compound_id=compound.pk)) if compound else []
    building = _pick(buildings, source.get("building"))
    dwellings = list(building_dwellings(building_id=building.pk)) if building else []
    topics = list(open_topics(user=user, compound_id=compound.pk)) if compound else []

    if form is None:
        method = source.get("method") or remembered.get("method")
        topic = _pick(topics, source.get("topic")
                      or remembered.get("topics", {}).get(str(compound.pk if compound else "")))
        form = VisitForm(dwellings=dwellings, topics=topics, initial={
            "compound": compound.pk if compound else None,
            "building": building.pk if building else None,
            "dwelling": as_id(source.get("dwelling")),
            "unit": (source.get("unit") or "")[:10],
            "method": method if method in VisitMethod.values else None,
            "topic": topic.pk if topic else None,
        })
    carried = {key: source.get(key) for key in ("method", "topic")
               if source.get(key) and request.method == "GET"}
    return render(request, "consultation/visits/form.html", {
        "form": form,
        "compounds": compounds,
        "compound": compound,
        "buildings": buildings,
        "building": building,
        "units": sorted({d.unit for d in dwellings}),
        "carried": carried,
    }, status=status)


def _remember(request, visit) -> None:
    last = request.session.get(SESSION_KEY, {})
    topics = dict(last.get("topics", {}))
    topics[str(visit.compound_id)] = visit.topic_id
    request.session[SESSION_KEY] = {"compound": visit.compound_id, "method": visit.method,
                                    "topics": topics}


@login_required
def visit_create(request):
    if request.method != "POST":
        return _form_page(request, source=request.GET)
    user = request.user
    compound_id = as_id(request.POST.get("compound"))
    building_id = as_id(request.POST.get("building"))
    visible = compounds_visible_to(user).filter(pk=compound_id).exists() if compound_id else False
    dwellings = (building_dwellings(building_id=building_id)
                 .filter(building__compound_id=compound_id) if visible and building_id else ())
    topics = open_topics(user=user, compound_id=compound_id) if visible else ()
    form = VisitForm(request.POST, dwellings=dwellings, topics=topics)
    if form.is_valid():
        try:
            visit = visit_log(by=user, **form.service_data())
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            _remember(request, visit)
            messages.success(request, _("Visit saved."))
            return redirect("consultation:visit-detail", visit.pk)
    return _form_page(request, source=request.POST, form=form)


# --- one visit and its follow-ups ------------------------------------------------------


def _detail_page(request, visit, *, ballot_form=None, idea_form=None, grievance_form=None):
    categories = list(Category.objects.filter(active=True))
    next_door = QueryDict(mutable=True)
    for key, value in (("compound", visit.compound_id), ("building", visit.building_id),
                       ("unit", visit.unit), ("method", visit.method),
                       ("topic", visit.topic_id)):
        if value:
            next_door[key] = value
    return render(request, "consultation/visits/detail.html", {
        "visit": visit,
        "can_vote": bool(visit.dwelling_id and visit.topic_id and not visit.ballot_id),
        "choices": Choice.choices,
        "ballot_form": ballot_form or BallotFollowForm(),
        "idea_form": idea_form or IdeaFollowForm(initial={"text": visit.opinions}),
        "grievance_form": grievance_form or GrievanceFollowForm(
            categories=categories, initial={"description": visit.opinions}),
        "idea_url": _first_url(IDEA_URLS, visit.idea_id) if visit.idea_id else None,
        "grievance_url": (_first_url(GRIEVANCE_URLS, visit.grievance_id)
                          if visit.grievance_id else None),
        "next_door": f"{reverse('consultation:visit-create')}?{next_door.urlencode()}",
    })


@login_required
def visit_detail(request, pk: int):
    return _detail_page(request, visit_get_visible(user=request.user, visit_id=pk))


def _follow_up(request, pk, *, form, service, done, form_key):
    """Run one follow-up: done → back to the visit; refused → the visit page with the
    form and its errors, or (a rule said no) the message."""
    visit = visit_get_visible(user=request.user, visit_id=pk)
    if form.is_valid():
        answer = form_to_service(request, form, lambda: service(visit), success=done,
                                 then=reverse("consultation:visit-detail", args=[visit.pk]))
        if answer:
            return answer
    return _detail_page(request, visit, **{form_key: form})


@login_required
@require_POST
def visit_ballot(request, pk: int):
    form = BallotFollowForm(request.POST)
    return _follow_up(
        request, pk, form=form, form_key="ballot_form", done=_("The vote is recorded."),
        service=lambda visit: visit_to_ballot(by=request.user, visit_id=visit.pk,
                                              choice=form.cleaned_data["choice"]),
    )


@login_required
@require_POST
def visit_idea(request, pk: int):
    form = IdeaFollowForm(request.POST)
    return _follow_up(
        request, pk, form=form, form_key="idea_form",
        done=_("The golden idea is recorded."),
        service=lambda visit: visit_to_idea(
            by=request.user, visit_id=visit.pk,
            text=form.cleaned_data["text"] if "text" in request.POST else None),
    )


@login_required
@require_POST
def visit_grievance(request, pk: int):
    form = GrievanceFollowForm(request.POST,
                               categories=Category.objects.filter(active=True))
    return _follow_up(
        request, pk, form=form, form_key="grievance_form",
        done=_("The resident issue is recorded."),
        service=lambda visit: visit_to_grievance(
            by=request.user, visit_id=visit.pk,
            category_code=form.cleaned_data["category"],
            description=(form.cleaned_data["description"]
                         if "description" in request.POST else None)),
    )


# --- the list --------------------------------------------------------------------------


@login_required
def visit_list_page(request):
    user = request.user
    filterset = VisitFilterSet(request.GET, queryset=visit_list(user=user), request=request)
    visits = filterset.qs
    page = page_of(request, visits, PAGE_SIZE)
    compounds = list(compounds_visible_to(user).order_by("name", "id").only("id", "name"))
    chosen = _pick(compounds, request.GET.get("compound"))
    return render(request, "consultation/visits/list.html", {
        "filterset": filterset,
        "page": page,
        "query": query_without_page(request),
        "compounds": compounds,
        "buildings": list(compound_buildings(compound_id=chosen.pk)) if chosen else [],
        "summary": attitude_summary(visits),
        "methods": VisitMethod.choices,
    })


urlpatterns = [
    path("visits/", visit_list_page, name="visit-list"),
    path("visits/new/", visit_create, name="visit-create"),
    path("visits/<int:pk>/", visit_detail, name="visit-detail"),
    path("visits/<int:pk>/ballot/", visit_ballot, name="visit-ballot"),
    path("visits/<int:pk>/idea/", visit_idea, name="visit-idea"),
    path("visits/<int:pk>/grievance/", visit_grievance, name="visit-grievance"),
]
public_urlpatterns = []
