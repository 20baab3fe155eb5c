"""Staff pages: quality — a project's inspections and rectification orders, the area's
orders (with export), and the look-backs that fall due. Usable on a phone on site,
without JavaScript; every page starts from the area gate."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from compounds.errors import ApplicationError
from compounds.selectors import subdistricts_visible_to
from compounds.statemachine import available_moves
from compounds.web import form_add_service_errors, message_application_error
from compounds.xlsx import xlsx_response
from renewal.filtersets.quality import RectificationFilterSet
from renewal.forms_quality import (
    InspectionForm,
    InspectionResultForm,
    RectificationForm,
    TransitionForm,
)
from renewal.models import (
    RECTIFICATION_TRANSITIONS,
    InspectionLevel,
    Project,
    RectificationStatus,
)
from renewal.selectors.access import project_get_visible
from renewal.selectors.quality import (
    inspection_get_visible,
    last_submitter_id,
    lookbacks_due,
    project_inspections,
    rectification_list,
    seasonal_checks_due,
    upcoming_rainy_season_year,
    warranties_ending,
)
from renewal.services.quality import (
    inspection_create,
    inspection_levels_for,
    inspection_update,
    rectification_create,
    rectification_transition,
    schedule_seasonal_checks,
)

PAGE_SIZE = 50
WARRANTY_DAYS = 60

# What each move's button says (the state it leads to is the model's label).
MOVE_LABELS = {
    RectificationStatus.SUBMITTED: gettext_lazy("Report rectified"),
    RectificationStatus.VERIFIED: gettext_lazy("Verify and close"),
    RectificationStatus.OPEN: gettext_lazy("Send back: not rectified"),
}


def _project_url(project_id: int, anchor: str = "") -> str:
    url = reverse("quality:project", args=[project_id])
    return f"{url}#{anchor}" if anchor else url


def _work_item_choices(project: Project) -> list[tuple[int, str]]:
    items = project.work_items.select_related("type").order_by(
        "type__category", "type__sort", "id"
    )
    return [
        (item.pk, f"{item.type.name}{' · ' + item.description if item.description else ''}")
        for item in items
    ]


def _render_project(
    request, project: Project, *, inspection_form=None, result_forms=None,
    finding_forms=None,
):
    """The project's quality page. Bound forms passed in (after a refused submit) are
    shown with their errors and what was typed; every other form is blank."""
    user = request.user
    result_forms = result_forms or {}
    finding_forms = finding_forms or {}
    work_items = _work_item_choices(project)
    inspections = list(project_inspections(project=project))
    for inspection in inspections:
        inspection.finding_form = finding_forms.get(inspection.pk) or RectificationForm(
            prefix=f"i{inspection.pk}", work_items=work_items,
            initial={"deadline": inspection.date},
        )
        if not inspection.carried_out_on:
            inspection.result_form = result_forms.get(inspection.pk) or InspectionResultForm(
                prefix=f"r{inspection.pk}", initial={"carried_out_on": timezone.localdate()}
            )
        for order in inspection.rectifications.all():
            submitter = last_submitter_id(order)
            order.moves = [
                (value, MOVE_LABELS[value])
                for value, _label in available_moves(
                    current=order.status, transitions=RECTIFICATION_TRANSITIONS,
                    choices=RectificationStatus,
                )
                # The one who reported it rectified does not verify it.
                if not (value == RectificationStatus.VERIFIED and submitter == user.pk)
            ]
            order.awaits_someone_else = (
                order.status == RectificationStatus.SUBMITTED and submitter == user.pk
            )
    return render(
        request,
        "renewal/quality/project.html",
        {
            "project": project,
            "inspections": inspections,
            "inspection_form": inspection_form
            or InspectionForm(user=user, project=project, prefix="new"),
            "can_inspect": bool(inspection_levels_for(user)),
        },
    )


@login_required
def project_quality(request, project_id: int):
    project = project_get_visible(user=request.user, project_id=project_id)
    return _render_project(request, project)


@login_required
@require_POST
def inspection_add(request, project_id: int):
    project = project_get_visible(user=request.user, project_id=project_id)
    form = InspectionForm(request.POST, user=request.user, project=project, prefix="new")
    if form.is_valid():
        try:
            inspection = inspection_create(
                by=request.user, project_id=project.pk, **form.cleaned_data
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Inspection recorded."))
            return redirect(_project_url(project.pk, f"inspection-{inspection.pk}"))
    return _render_project(request, project, inspection_form=form)


@login_required
@require_POST
def inspection_result(request, inspection_id: int):
    inspection = inspection_get_visible(user=request.user, inspection_id=inspection_id)
    project = inspection.project
    form = InspectionResultForm(request.POST, prefix=f"r{inspection.pk}")
    if form.is_valid():
        try:
            inspection_update(by=request.user, inspection_id=inspection.pk, data=form.cleaned_data)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Inspection result recorded."))
            return redirect(_project_url(project.pk, f"inspection-{inspection.pk}"))
    return _render_project(request, project, result_forms={inspection.pk: form})


@login_required
@require_POST
def rectification_add(request, inspection_id: int):
    inspection = inspection_get_visible(user=request.user, inspection_id=inspection_id)
    project = inspection.project
    form = RectificationForm(
        request.POST, prefix=f"i{inspection.pk}", work_items=_work_item_choices(project)
    )
    if form.is_valid():
        try:
            order = rectification_create(
                by=request.user,
                inspection_id=inspection.pk,
                finding=form.cleaned_data["finding"],
                responsible_party=form.cleaned_data["responsible_party"],
                deadline=form.cleaned_data["deadline"],
                work_item_id=form.cleaned_data["work_item"],
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Rectification order issued."))
            return redirect(_project_url(project.pk, f"rectification-{order.pk}"))
    return _render_project(request, project, finding_forms={inspection.pk: form})


@login_required
@require_POST
def rectification_move(request, rectification_id: int):
    form = TransitionForm(request.POST)
    # Resolved (and gated) before anything else: an order outside the area is a 404.
    order = rectification_list(user=request.user).filter(pk=rectification_id).first()
    if order is None:
        raise Http404("rectification not found")
    if not form.is_valid():
        messages.error(request, _("Choose what to do with the order."))
    else:
        try:
            rectification_transition(
                rectification_id=order.pk, to=form.cleaned_data["to"], by=request.user,
                note=form.cleaned_data["note"],
            )
        except ApplicationError as exc:
            message_application_error(request, exc)
        else:
            messages.success(request, _("Rectification order updated."))
    next_url = request.POST.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(next_url)
    return redirect(_project_url(order.inspection.project_id, f"rectification-{order.pk}"))


def _filtered_orders(request) -> RectificationFilterSet:
    return RectificationFilterSet(request.GET, queryset=rectification_list(user=request.user))


@login_required
def rectifications(request):
    filterset = _filtered_orders(request)
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "renewal/quality/rectification_list.html",
        {
            "filterset": filterset,
            "page": page,
            "query": query.urlencode(),
            "statuses": RectificationStatus.choices,
            "levels": InspectionLevel.choices,
            "subdistricts": subdistricts_visible_to(request.user).order_by("name"),
        },
    )


def _yes_no(value: bool) -> str:
    return _("Yes") if value else _("No")


@login_required
def rectifications_export(request):
    filterset = _filtered_orders(request)
    columns = [
        (_("No."), lambda r: r.pk),
        (_("Subdistrict"), lambda r: r.inspection.project.compound.community.subdistrict.name),
        (_("Community"), lambda r: r.inspection.project.compound.community.name),
        (_("Compound"), lambda r: r.inspection.project.compound.name),
        (_("Inspection level"), lambda r: r.inspection.get_level_display()),
        (_("Inspection kind"), lambda r: r.inspection.get_kind_display()),
        (_("Inspection date"), lambda r: r.inspection.date),
        (_("Finding"), lambda r: r.finding),
        (_("Work item"), lambda r: r.work_item.type.name if r.work_item else ""),
        (_("Responsible party"), lambda r: r.responsible_party),
        (_("Deadline"), lambda r: r.deadline),
        (_("Status"), lambda r: r.get_status_display()),
        (_("Overdue"), lambda r: _yes_no(r.is_overdue)),
        (_("Rectified on"), lambda r: r.rectified_on),
        (_("Verified on"), lambda r: r.verified_on),
        (_("Verified by"), lambda r: r.verified_by.get_full_name() or r.verified_by.username
         if r.verified_by else ""),
    ]
    return xlsx_response(
        filename=_("rectification-orders"), title=_("Rectification orders"),
        columns=columns, rows=filterset.qs,
    )


@login_required
def lookbacks(request):
    today = timezone.localdate()
    year = upcoming_rainy_season_year(today)
    levels = inspection_levels_for(request.user)
    return render(
        request,
        "renewal/quality/lookbacks.html",
        {
            "year": year,
            "seasonal": seasonal_checks_due(request.user, year=year),
            "warranties": warranties_ending(request.user, within_days=WARRANTY_DAYS, today=today),
            "warranty_days": WARRANTY_DAYS,
            "lookbacks": lookbacks_due(request.user, today=today),
            "can_schedule": InspectionLevel.SUBDISTRICT in levels,
        },
    )


@login_required
@require_POST
def lookbacks_schedule(request):
    try:
        created = schedule_seasonal_checks(year=upcoming_rainy_season_year(), by=request.user)
    except ApplicationError as exc:
        message_application_error(request, exc)
    else:
        if created:
            messages.success(
                request,
                ngettext(
                    "%(count)d seasonal check scheduled.",
                    "%(count)d seasonal checks scheduled.",
                    len(created),
                )
                % {"count": len(created)},
            )
        else:
            messages.info(request, _("Every due seasonal check was already scheduled."))
    return redirect("quality:lookbacks")


urlpatterns = [
    path("projects/<int:project_id>/", project_quality, name="project"),
    path("projects/<int:project_id>/inspections/", inspection_add, name="inspection-add"),
    path("inspections/<int:inspection_id>/result/", inspection_result, name="inspection-result"),
    path(
        "inspections/<int:inspection_id>/rectifications/", rectification_add,
        name="rectification-add",
    ),
    path("rectifications/", rectifications, name="rectifications"),
    path("rectifications/export/", rectifications_export, name="rectifications-export"),
    path(
        "rectifications/<int:rectification_id>/move/", rectification_move,
        name="rectification-move",
    ),
    path("lookbacks/", lookbacks, name="lookbacks"),
    path("lookbacks/schedule/", lookbacks_schedule, name="lookbacks-schedule"),
]
