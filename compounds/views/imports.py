"""Excel import of the registry: template, upload → preview → confirm (or discard).

The pages of an import are one `ImportPages`, which the hotline import
(`grievances.views.open311`) uses too: the uploaded file is kept on disk between the
preview and the confirm (see `compounds.importing.store`) under a random token that
only the uploader's session knows; the confirm checks the file again against the
database as it is then, and writes all or nothing.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any
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
    """The file of an import; one larger than `max_bytes` is refused before it is read."""

    max_bytes = MAX_FILE_BYTES
    file = forms.FileField(
        label=gettext_lazy("Workbook (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx," + XLSX_TYPE}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.max_bytes:
            raise forms.ValidationError(
                _("The file is larger than %(mb)d MB: split it into several files.")
                % {"mb": self.max_bytes // (1024 * 1024)})
        return upload


def template_response(data: bytes, *, filename: str, name: str) -> HttpResponse:
    """A downloadable template: `filename` in ASCII for old clients, `name` for the rest."""
    response = HttpResponse(data, content_type=XLSX_TYPE)
    response["Content-Disposition"] = (
        f"attachment; filename=\"{filename}\"; filename*=UTF-8''{quote(name)}"
    )
    return response


Service = Callable[..., Any]  # (*, user, fileobj) -> a report (rows, errors, fatal, applied)


class ImportPages:
    """The pages of one import: the upload form (`start`), the preview of a kept upload,
    its confirm (`apply`) and `discard`; staff only, the area gate in the services.

    `preview`/`apply`: the import's services. `urls`: the URL names of the "start" and
    "preview" pages and of the page a done import goes to ("done"). `done_message(report)`:
    what a done import says. A readable upload is kept and its preview shown at once, or
    (`redirect_upload`) redirected to. The preview template gets `token`, `filename`,
    `report`, `form`, the first `shown` `errors` (`errors_hidden`: how many more) and,
    for each name in `listed`, the first `shown` of that list of the report."""

    def __init__(self, *, session_key: str, form_class: type[UploadForm], preview: Service,
                 apply: Service, start_template: str, preview_template: str,
                 urls: dict[str, str], done_message: Callable[[Any], str],
                 notes: Callable[[], list], max_rows: int, redirect_upload: bool = False,
                 listed: tuple[str, ...] = (), shown: int = ERRORS_SHOWN,
                 max_pending: int = MAX_PENDING):
        self.session_key = session_key
        self.form_class = form_class
        self.preview_service = preview
        self.apply_service = apply
        self.start_template = start_template
        self.preview_template = preview_template
        self.urls = urls
        self.done_message = done_message
        self.notes = notes
        self.max_rows = max_rows
        self.redirect_upload = redirect_upload
        self.listed = listed
        self.shown = shown
        self.max_pending = max_pending
        self.start = staff_required(require_http_methods(["GET", "POST"])(self._start))
        self.preview = staff_required(require_GET(self._preview))
        self.apply = staff_required(require_POST(self._apply))
        self.discard = staff_required(require_POST(self._discard))

    # --- the uploads this session made ---

    def _pending(self, request) -> dict[str, str]:
        return dict(request.session.get(self.session_key, {}))

    def _remember(self, request, token: str, name: str) -> None:
        pending = self._pending(request)
        pending[token] = name
        while len(pending) > self.max_pending:
            oldest = next(iter(pending))
            store.delete(oldest)
            del pending[oldest]
        request.session[self.session_key] = pending

    def _forget(self, request, token: str) -> None:
        store.delete(token)
        pending = self._pending(request)
        pending.pop(token, None)
        request.session[self.session_key] = pending

    def stored(self, request, token: str):
        """(path, name) of the stored file of an upload this session made, or 404."""
        name = self._pending(request).get(token)
        file_path = store.path_for(token) if name is not None else None
        if file_path is None:
            raise Http404("no such import")
        return file_path, name

    def checked(self, request, token: str):
        """(the preview report of a kept upload, its name)."""
        file_path, name = self.stored(request, token)
        with open(file_path, "rb") as fileobj:
            return self.preview_service(user=request.user, fileobj=fileobj), name

    # --- the pages ---

    def render_preview(self, request, *, token: str, name: str, report, status=200):
        shown = self.shown
        context = {
            "token": token,
            "filename": name,
            "report": report,
            "errors": report.errors[:shown],
            "errors_hidden": max(0, len(report.errors) - shown),
            "form": self.form_class(),
        }
        for listed in self.listed:
            context[listed] = getattr(report, listed)[:shown]
        return render(request, self.preview_template, context, status=status)

    def _start(self, request):
        form = self.form_class(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            report = self.preview_service(user=request.user, fileobj=upload)
            if report.fatal:
                # The file as a whole is unusable (not a workbook, no header...): say so
                # by the field and keep nothing.
                for error in report.errors:
                    form.add_error("file", error.reason)
            else:
                token = store.save(upload)
                name = upload.name[:200]
                self._remember(request, token, name)
                if self.redirect_upload:
                    return redirect(self.urls["preview"], token=token)
                return self.render_preview(request, token=token, name=name, report=report)
        return render(request, self.start_template, {
            "form": form,
            "notes": self.notes(),
            "max_mb": form.max_bytes // (1024 * 1024),
            "max_rows": self.max_rows,
        })

    def _preview(self, request, token: str):
        report, name = self.checked(request, token)
        return self.render_preview(request, token=token, name=name, report=report)

    def _apply(self, request, token: str):
        file_path, name = self.stored(request, token)
        try:
            with open(file_path, "rb") as fileobj:
                report = self.apply_service(user=request.user, fileobj=fileobj)
        except ApplicationError as exc:
            message_application_error(request, exc)
            return redirect(self.urls["preview"], token=token)
        if not report.applied:
            messages.error(request, _(
                "The file no longer passes the checks; nothing was written. Fix the rows "
                "below and upload the file again."))
            return self.render_preview(request, token=token, name=name, report=report)
        self._forget(request, token)
        messages.success(request, self.done_message(report))
        return redirect(self.urls["done"])

    def _discard(self, request, token: str):
        self.stored(request, token)
        self._forget(request, token)
        messages.info(request, _("The uploaded file was discarded; nothing was written."))
        return redirect(self.urls["start"])


# --- the registry import ------------------------------------------------------------------


def _done_message(report: ImportReport) -> str:
    return _(
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
    }


PAGES = ImportPages(
    session_key=SESSION_KEY,
    form_class=UploadForm,
    preview=registry_import_preview,
    apply=registry_import_apply,
    start_template="compounds/import_start.html",
    preview_template="compounds/import_preview.html",
    urls={"start": "compounds:import", "preview": "compounds:import-preview",
          "done": "compounds:list"},
    done_message=_done_message,
    notes=column_notes,
    max_rows=MAX_ROWS,
)
import_start = PAGES.start
import_preview = PAGES.preview
import_apply = PAGES.apply
import_discard = PAGES.discard


@staff_required
@require_GET
def import_template(request):
    return template_response(template_bytes(), filename="registry-template.xlsx",
                             name="房屋清册导入模板.xlsx")


@staff_required
@require_GET
def import_errors(request, token: str):
    """Every problem of the file as a workbook, for files with more than the page shows."""
    report, _name = PAGES.checked(request, token)
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
