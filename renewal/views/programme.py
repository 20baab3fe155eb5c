"""Staff pages of the programme: yearly batches, projects, and the moves of a project
between its stages. Thin: parse, call a selector or a service, render."""

from itertools import islice

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from compounds.errors import ApplicationError
from compounds.selectors import compounds_visible_to, subdistricts_visible_to
from compounds.statemachine import available_moves
from compounds.web import form_add_service_errors
from compounds.xlsx import xlsx_response
from renewal.filtersets.programme import ProjectFilterSet
from renewal.forms_programme import BatchForm, ProjectCreateForm, ProjectForm, TransitionForm
from renewal.models import STAGE_ORDER, TRANSITIONS, Project, Stage
from renewal.selectors.access import project_get_visible
from renewal.selectors.gates import gates_for_moves
from renewal.selectors.programme import (
    batch_get_visible,
    batches_visible_to,
    batches_with_actuals,
    coordinator_candidates,
    may_plan_batches,
    project_counts,
    project_for_detail,
    projects_for_list,
)
from renewal.selectors.progress import progress_by_project
from renewal.services.programme import (
    batch_create,
    batch_update,
    project_create,
    project_transition,
    project_update,
)

PAGE_SIZE = 50
EXPORT_CHUNK = 1000


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _page_with_progress(request, queryset):
    """One page of projects, each with `.progress` from one query for the whole page."""
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    progress = progress_by_project([p.pk for p in page.object_list])
    for project in page.object_list:
        project.progress = progress[project.pk]
    return page


# --- projects ---------------------------------------------------------------------------


@login_required
def project_list(request):
    filterset = ProjectFilterSet(request.GET, queryset=projects_for_list(user=request.user))
    page = _page_with_progress(request, filterset.qs)
    query = _query_without_page(request)
    return render(request, "renewal/programme/project_list.html", {
        "filterset": filterset,
        "page": page,
        "query": query,
        "batches": batches_visible_to(request.user),
        "stages": Stage.choices,
        "subdistricts": subdistricts_visible_to(request.user).order_by("name"),
    })


def _with_progress(projects: list[Project]) -> list[Project]:
    it = iter(projects)
    while chunk := list(islice(it, EXPORT_CHUNK)):
        progress = progress_by_project([p.pk for p in chunk])
        for project in chunk:
            project.progress = progress[project.pk]
    return projects


@login_required
def project_export(request):
    """The list as filtered on the page, every row of it, as .xlsx."""
    filterset = ProjectFilterSet(request.GET, queryset=projects_for_list(user=request.user))
    projects = _with_progress(list(filterset.qs))
    columns = [
        (_("Batch"), lambda p: str(p.batch)),
        (_("Compound"), lambda p: p.compound.name),
        (_("Subdistrict"), lambda p: p.compound.community.subdistrict.name),
        (_("Community"), lambda p: p.compound.community.name),
        (_("Stage"), lambda p: p.get_stage_display()),
        (_("Progress (%)"), lambda p: p.progress),
        (_("Delivery model"), lambda p: p.get_delivery_model_display()),
        (_("Contractor"), lambda p: p.contractor),
        (_("Designer"), lambda p: p.designer),
        (_("Supervisor"), lambda p: p.supervisor),
        *[(Project._meta.get_field(name).verbose_name, lambda p, name=name: getattr(p, name))
          for name in Project.FUNDING_FIELDS],
        (_("Total funding (yuan)"), lambda p: p.funding_total),
        (_("Planned start"), lambda p: p.planned_start),
        (_("Planned end"), lambda p: p.planned_end),
        (_("Actual start"), lambda p: p.actual_start),
        (_("Actual end"), lambda p: p.actual_end),
    ]
    return xlsx_response(filename=_("Renovation projects"), title=_("Renovation projects"),
                         columns=columns, rows=projects)


def _stage_bar(current: str) -> list[dict]:
    position = STAGE_ORDER.index(current)
    labels = dict(Stage.choices)
    return [
        {"value": value, "label": labels[value],
         "state": "done" if i < position else "current" if i == position else "todo"}
        for i, value in enumerate(STAGE_ORDER)
    ]


def _render_detail(request, project_id: int, *, form=None, error=None, status=200):
    project = project_for_detail(user=request.user, project_id=project_id)
    moves = available_moves(current=project.stage, transitions=TRANSITIONS, choices=Stage)
    gates = gates_for_moves(project, moves)
    funding = [(Project._meta.get_field(name).verbose_name, getattr(project, name))
               for name in Project.FUNDING_FIELDS]
    return render(request, "renewal/programme/project_detail.html", {
        "project": project,
        "stages": _stage_bar(project.stage),
        "moves": [
            {"value": v, "label": label, "missing": gates[v],
             "back": STAGE_ORDER.index(v) < STAGE_ORDER.index(project.stage)}
            for v, label in moves
        ],
        "history": list(project.history.all()),
        "progress": progress_by_project([project.pk])[project.pk],
        "counts": project_counts(project_id=project.pk),
        "funding": funding,
        "form": form or TransitionForm(),
        "error": error,
    }, status=status)


@login_required
def project_detail(request, pk: int):
    return _render_detail(request, pk)


@login_required
@require_POST
def project_move(request, pk: int):
    """One move between stages. A refused move re-renders the page with the reason (and
    what is missing for a gated move) and keeps the note the user typed."""
    form = TransitionForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, pk, form=form, status=400)
    try:
        project = project_transition(
            project_id=pk, to=form.cleaned_data["to"], by=request.user,
            note=form.cleaned_data["note"],
        )
    except ApplicationError as exc:
        return _render_detail(request, pk, form=form, error=exc, status=exc.status_code)
    messages.success(request, _("The project is now at the stage “%(stage)s”.")
                     % {"stage": project.get_stage_display()})
    return redirect("programme:project-detail", pk=pk)


@login_required
def project_new(request):
    compounds = compounds_visible_to(request.user)
    batches = batches_visible_to(request.user)
    if request.method == "POST":
        form = ProjectCreateForm(request.POST, compounds=compounds, batches=batches)
        if form.is_valid():
            try:
                project = project_create(
                    by=request.user, compound_id=form.cleaned_data["compound"].pk,
                    batch_id=form.cleaned_data["batch"].pk,
                )
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                messages.success(request, _("Project created at the stage “planned”."))
                return redirect("programme:project-detail", pk=project.pk)
    else:
        form = ProjectCreateForm(
            initial={"compound": request.GET.get("compound"), "batch": request.GET.get("batch")},
            compounds=compounds, batches=batches,
        )
    return render(request, "renewal/programme/project_form.html", {
        "form": form, "title": _("New renovation project"),
        "cancel": reverse("programme:project-list"),
    })


@login_required
def project_edit(request, pk: int):
    project = project_get_visible(user=request.user, project_id=pk)
    coordinators = coordinator_candidates(compound=project.compound)
    if request.method == "POST":
        form = ProjectForm(request.POST, coordinators=coordinators)
        if form.is_valid():
            try:
                project_update(project_id=pk, by=request.user, data=form.cleaned_data)
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                messages.success(request, _("Project saved."))
                return redirect("programme:project-detail", pk=pk)
    else:
        form = ProjectForm(initial=ProjectForm.initial_for(project), coordinators=coordinators)
    return render(request, "renewal/programme/project_form.html", {
        "form": form, "project": project,
        "title": _("Edit project: %(name)s") % {"name": project.compound.name},
        "cancel": reverse("programme:project-detail", args=[pk]),
    })


# --- batches ----------------------------------------------------------------------------


@login_required
def batch_list(request):
    batches = batches_with_actuals(user=request.user).order_by("-year", "name")
    page = Paginator(batches, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "renewal/programme/batch_list.html", {
        "page": page, "query": "", "may_plan": may_plan_batches(request.user),
    })


@login_required
def batch_detail(request, pk: int):
    batch = batch_get_visible(user=request.user, batch_id=pk)
    projects = projects_for_list(user=request.user).filter(batch=batch)
    by_stage = dict(projects.order_by().values_list("stage").annotate(n=Count("id")))
    return render(request, "renewal/programme/batch_detail.html", {
        "batch": batch,
        "page": _page_with_progress(request, projects),
        "query": _query_without_page(request),
        "by_stage": [(label, by_stage.get(value, 0)) for value, label in Stage.choices],
        "may_plan": may_plan_batches(request.user),
    })


def _batch_form_page(request, *, batch=None):
    if not may_plan_batches(request.user):
        raise PermissionDenied
    if request.method == "POST":
        form = BatchForm(request.POST)
        if form.is_valid():
            try:
                if batch is None:
                    batch = batch_create(by=request.user, **form.cleaned_data)
                else:
                    batch = batch_update(batch_id=batch.pk, by=request.user,
                                         data=form.cleaned_data)
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                messages.success(request, _("Batch saved."))
                return redirect("programme:batch-detail", pk=batch.pk)
    else:
        initial = {name: getattr(batch, name) for name in BatchForm.FIELDS} if batch else {}
        form = BatchForm(initial=initial)
    return render(request, "renewal/programme/batch_form.html", {
        "form": form, "batch": batch,
        "title": _("Edit batch: %(name)s") % {"name": batch} if batch else _("New yearly batch"),
    })


@login_required
def batch_new(request):
    return _batch_form_page(request)


@login_required
def batch_edit(request, pk: int):
    return _batch_form_page(request, batch=batch_get_visible(user=request.user, batch_id=pk))


urlpatterns = [
    path("", project_list, name="project-list"),
    path("export.xlsx", project_export, name="project-export"),
    path("new/", project_new, name="project-create"),
    path("<int:pk>/", project_detail, name="project-detail"),
    path("<int:pk>/edit/", project_edit, name="project-edit"),
    path("<int:pk>/move/", project_move, name="project-move"),
    path("batches/", batch_list, name="batch-list"),
    path("batches/new/", batch_new, name="batch-create"),
    path("batches/<int:pk>/", batch_detail, name="batch-detail"),
    path("batches/<int:pk>/edit/", batch_edit, name="batch-edit"),
]
