"""Staff pages: a project's work items, their progress reports (phone-friendly) and the
export. Every page starts from the area gate; the services decide, the forms parse."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from compounds.errors import ApplicationError
from compounds.web import form_add_service_errors, message_application_error
from compounds.xlsx import xlsx_response
from renewal.filtersets.works import WorkItemFilterSet
from renewal.forms_works import ProgressReportForm, WorkItemForm
from renewal.models import ItemStatus
from renewal.selectors.access import project_get_visible
from renewal.selectors.works import (
    ProjectWorks,
    item_percent,
    item_reports,
    project_items,
    project_works,
    work_item_get_visible,
    work_item_types,
)
from renewal.services.works import (
    REPORTING_STAGES,
    progress_report_create,
    work_item_cancel,
    work_item_create,
    work_item_reinstate,
    work_item_update,
)


def _filtered(request, project_id: int) -> tuple[WorkItemFilterSet, ProjectWorks]:
    """The page's filters (status, category) over the project's items; the project
    comes from the URL, through the area gate. The export uses the same."""
    project = project_get_visible(user=request.user, project_id=project_id)
    data = request.GET.copy()
    data.pop("project", None)
    filterset = WorkItemFilterSet(data, queryset=project_items(project))
    return filterset, project_works(project=project, items=filterset.qs)


@login_required
def project_page(request, project_id: int):
    filterset, works = _filtered(request, project_id)
    query = request.GET.copy()
    return render(request, "renewal/works/project.html", {
        "works": works,
        "project": works.project,
        "filterset": filterset,
        "query": query.urlencode(),
        "statuses": ItemStatus.choices,
        "reporting_open": works.project.stage in REPORTING_STAGES,
    })


@login_required
def project_export(request, project_id: int):
    _filterset, works = _filtered(request, project_id)
    project = works.project
    columns = [
        (_("category"), lambda i: i.type.get_category_display()),
        (_("type"), lambda i: i.type.name),
        (_("description"), lambda i: i.description),
        (_("unit"), lambda i: i.type.get_unit_display()),
        (_("planned quantity"), lambda i: i.planned_quantity),
        (_("completed quantity"), lambda i: i.completed_quantity),
        (_("progress (%)"), lambda i: i.percent),
        (_("budget (yuan)"), lambda i: i.budget),
        (_("spent (yuan)"), lambda i: i.spent),
        (_("planned start"), lambda i: i.planned_start),
        (_("planned end"), lambda i: i.planned_end),
        (_("actual start"), lambda i: i.actual_start),
        (_("actual end"), lambda i: i.actual_end),
        (_("status"), lambda i: i.get_status_display()),
        (_("warranty until"), lambda i: i.warranty_until),
    ]
    name = _("Work items of %(compound)s") % {"compound": project.compound.name}
    return xlsx_response(filename=name, title=_("Work items"), columns=columns,
                         rows=works.items)


def _item_form_page(request, *, form, project, item=None):
    return render(request, "renewal/works/item_form.html", {
        "form": form, "project": project, "item": item,
        "title": _("Edit work item") if item else _("Add a work item"),
    })


@login_required
def item_add(request, project_id: int):
    project = project_get_visible(user=request.user, project_id=project_id)
    form = WorkItemForm(request.POST or None, types=work_item_types())
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        try:
            item = work_item_create(by=request.user, project_id=project.pk,
                                    type_id=data.pop("type"), **data)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Work item “%(name)s” added.") % {"name": item.type.name})
            return redirect("works:project", project.pk)
    return _item_form_page(request, form=form, project=project)


@login_required
def item_edit(request, pk: int):
    item = work_item_get_visible(user=request.user, work_item_id=pk)
    form = WorkItemForm(request.POST or None, types=work_item_types(),
                        initial=WorkItemForm.initial_from(item))
    if request.method == "POST" and form.is_valid():
        try:
            work_item_update(work_item_id=item.pk, by=request.user, data=form.service_data())
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Work item saved."))
            return redirect("works:item", item.pk)
    return _item_form_page(request, form=form, project=item.project, item=item)


@login_required
def item_detail(request, pk: int):
    """The item, its report timeline, and the 填报进度 form (filing a report posts here).
    After an error the form comes back filled in; only the chosen photos have to be
    chosen again (browsers never refill a file input)."""
    item = work_item_get_visible(user=request.user, work_item_id=pk)
    form = ProgressReportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            progress_report_create(work_item_id=item.pk, by=request.user,
                                   **form.service_data())
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        except ApplicationError as exc:
            message_application_error(request, exc)
        else:
            messages.success(request, _("Progress report filed."))
            return redirect(reverse("works:item", args=[item.pk]) + "#timeline")
    item.percent = item_percent(item)
    reporting_open = (item.project.stage in REPORTING_STAGES
                      and item.status != ItemStatus.CANCELLED)
    return render(request, "renewal/works/item.html", {
        "item": item,
        "project": item.project,
        "form": form,
        "reports": item_reports(item=item),
        "reporting_open": reporting_open,
        # Reached after a POST only when it failed: browsers never refill a file input.
        "photos_lost": request.method == "POST" and bool(request.FILES.getlist("photos")),
    })


@login_required
@require_POST
def item_cancel(request, pk: int):
    try:
        item = work_item_cancel(work_item_id=pk, by=request.user)
    except ApplicationError as exc:
        message_application_error(request, exc)
    else:
        messages.success(request, _("Work item “%(name)s” cancelled: it no longer counts "
                                    "towards the project's progress.")
                         % {"name": item.type.name})
    return redirect("works:item", pk)


@login_required
@require_POST
def item_reinstate(request, pk: int):
    item = work_item_reinstate(work_item_id=pk, by=request.user)
    messages.success(request, _("Work item “%(name)s” reinstated.") % {"name": item.type.name})
    return redirect("works:item", pk)


urlpatterns = [
    path("projects/<int:project_id>/", project_page, name="project"),
    path("projects/<int:project_id>/export.xlsx", project_export, name="project-export"),
    path("projects/<int:project_id>/items/new/", item_add, name="item-create"),
    path("items/<int:pk>/", item_detail, name="item"),
    path("items/<int:pk>/edit/", item_edit, name="item-edit"),
    path("items/<int:pk>/cancel/", item_cancel, name="item-cancel"),
    path("items/<int:pk>/reinstate/", item_reinstate, name="item-reinstate"),
]
