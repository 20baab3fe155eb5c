"""Excel import of the registry: template, upload → preview → confirm (or discard).

The uploaded workbook is kept on disk between the preview and the confirm (see
`compounds.importing.store`) under a random token that only the uploader's session
knows; the confirm checks the file again against the registry as it is then, and
writes all or nothing.
"""

from functools import wraps
from urllib.parse import quote

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from compounds.errors import ApplicationError
from compounds.importing import (
    MAX_FILE_BYTES,
    MAX_ROWS,
    ImportReport,
    registry_import_apply,
    registry_import_preview,
    store,
    template_bytes,
)
from compounds.importing.layout import column_notes
from compounds.models import Role
from compounds.web import message_application_error
from compounds.xlsx import XLSX_TYPE, xlsx_response

SESSION_KEY = "registry_imports"  # token → the uploaded file's name
MAX_PENDING = 5
ERRORS_SHOWN = 500


def staff_required(view):
    """Signed in, with a role (or a superuser): the area gate decides the rest."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not (user.is_superuser or user.role in Role.values):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Workbook (.xlsx)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)d MB: split it into several files.")
                % {"mb": MAX_FILE_BYTES // (1024 * 1024)})
        return upload


def _pending(request) -> dict[str, str]:
    return dict(request.session.get(SESSION_KEY, {}))


def _remember(request, token: str, name: str) -> None:
    pending = _pending(request)
    pending[token] = name
    while len(pending) > MAX_PENDING:
        oldest = next(iter(pending))
        store.delete(oldest)
        del pending[oldest]
    request.session[SESSION_KEY] = pending


def _forget(request, token: str) -> None:
    store.delete(token)
    pending = _pending(request)
    pending.pop(token, None)
    request.session[SESSION_KEY] = pending


def _stored(request, token: str):
    """The stored file of an upload this session made, or 404."""
    name = _pending(request).get(token)
    file_path = store.path_for(token) if name is not None else None
    if file_path is None:
        raise Http404("no such import")
    return file_path, name


def _render_preview(request, *, token: str, name: str, report: ImportReport, status=200):
    return render(request, "compounds/import_preview.html", {
        "token": token,
        "filename": name,
        "report": report,
        "errors": report.errors[:ERRORS_SHOWN],
        "errors_hidden": max(0, len(report.errors) - ERRORS_SHOWN),
        "form": UploadForm(),
    }, status=status)


@staff_required
@require_http_methods(["GET", "POST"])
def import_start(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        report = registry_import_preview(user=request.user, fileobj=upload)
        if report.fatal:
            # The file as a whole is unusable (not a workbook, no header...): say so by
            # the field and keep nothing.
            for error in report.errors:
                form.add_error("file", error.reason)
        else:
            token = store.save(upload)
            name = upload.name[:200]
            _remember(request, token, name)
            return _render_preview(request, token=token, name=name, report=report)
    return render(request, "compounds/import_start.html", {
        "form": form,
        "notes": column_notes(),
        "max_mb": MAX_FILE_BYTES // (1024 * 1024),
        "max_rows": MAX_ROWS,
    })


@staff_required
@require_GET
def import_template(request):
    response = HttpResponse(template_bytes(), content_type=XLSX_TYPE)
    name = "房屋清册导入模板.xlsx"
    response["Content-Disposition"] = (
        f"attachment; filename=\"registry-template.xlsx\"; filename*=UTF-8''{quote(name)}"
    )
    return response


@staff_required
@require_GET
def import_preview(request, token: str):
    file_path, name = _stored(request, token)
    with open(file_path, "rb") as fileobj:
        report = registry_import_preview(user=request.user, fileobj=fileobj)
    return _render_preview(request, token=token, name=name, report=report)


@staff_required
@require_POST
def import_apply(request, token: str):
    file_path, name = _stored(request, token)
    try:
        with open(file_path, "rb") as fileobj:
            report = registry_import_apply(user=request.user, fileobj=fileobj)
    except ApplicationError as exc:
        message_application_error(request, exc)
        return redirect("compounds:import-preview", token=token)
    if not report.applied:
        messages.error(request, _(
            "The file no longer passes the checks; nothing was written. Fix the rows "
            "below and upload the file again."))
        return _render_preview(request, token=token, name=name, report=report)
    _forget(request, token)
    messages.success(request, _(
        "Import done: %(compounds_created)d compounds, %(buildings_created)d buildings and "
        "%(dwellings_created)d dwellings created; %(compounds_updated)d compounds, "
        "%(buildings_updated)d buildings and %(dwellings_updated)d dwellings updated."
    ) % {
        "compounds_created": report.compounds.created,
        "buildings_created": report.buildings.created,
        "dwellings_created": report.dwellings.created,
        "compounds_updated": report.compounds.updated,
        "buildings_updated": report.buildings.updated,
        "dwellings_updated": report.dwellings.updated,
    })
    return redirect("compounds:list")


@staff_required
@require_POST
def import_discard(request, token: str):
    _stored(request, token)
    _forget(request, token)
    messages.info(request, _("The uploaded file was discarded; nothing was written."))
    return redirect("compounds:import")


@staff_required
@require_GET
def import_errors(request, token: str):
    """Every problem of the file as a workbook, for files with more than the page shows."""
    file_path, _name = _stored(request, token)
    with open(file_path, "rb") as fileobj:
        report = registry_import_preview(user=request.user, fileobj=fileobj)
    return xlsx_response(
        filename=_("import problems"),
        title=_("Problems"),
        columns=[
            (_("Row"), lambda e: e.row),
            (_("Column"), lambda e: e.column),
            (_("Problem"), lambda e: e.reason),
        ],
        rows=report.errors,
    )


urlpatterns = [
    path("import/", import_start, name="import"),
    path("import/template.xlsx", import_template, name="import-template"),
    path("import/<str:token>/", import_preview, name="import-preview"),
    path("import/<str:token>/apply/", import_apply, name="import-apply"),
    path("import/<str:token>/discard/", import_discard, name="import-discard"),
    path("import/<str:token>/problems.xlsx", import_errors, name="import-errors"),
]
