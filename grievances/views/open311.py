"""Two doors for issues that come from elsewhere.

- Staff pages (mounted at /grievances/, namespace `grievances`): importing the city
  hotline's export (12345 / 青诉即办): template, upload → preview → confirm or discard,
  the registry import's pages (`compounds.views.imports.ImportPages`). The uploaded file
  is kept between the preview and the confirm under a random token only the uploader's
  session knows (`compounds.importing.store`); the confirm checks it again and writes
  all or nothing.
- Open311 GeoReport v2 (mounted at /open311/v2/, namespace `open311`), JSON only: see
  `grievances.open311`. A `.xml` (or any other format) URL is answered 400 with the
  JSON error list; the discovery document lists application/json as the one format.
"""

from django import forms
from django.http import JsonResponse
from django.urls import path, re_path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from compounds.views.imports import ImportPages, UploadForm, staff_required, template_response
from compounds.xlsx import XLSX_TYPE
from grievances import open311
from grievances.hotline import (
    MAX_FILE_BYTES,
    MAX_ROWS,
    HotlineReport,
    column_notes,
    hotline_import_apply,
    hotline_import_preview,
    template_bytes,
)

# --- the hotline import (staff) ------------------------------------------------------------


class HotlineUploadForm(UploadForm):
    max_bytes = MAX_FILE_BYTES
    file = forms.FileField(
        label=gettext_lazy("Hotline export (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,text/csv," + XLSX_TYPE}),
    )


def _done_message(report: HotlineReport) -> str:
    return _(
        "Hotline import done: %(created)d issues created, %(updated)d updated, "
        "%(unchanged)d unchanged.") % {"created": report.created, "updated": report.updated,
                                       "unchanged": report.unchanged}


HOTLINE_PAGES = ImportPages(
    session_key="hotline_imports",  # token → the uploaded file's name
    form_class=HotlineUploadForm,
    preview=hotline_import_preview,
    apply=hotline_import_apply,
    start_template="grievances/hotline/import.html",
    preview_template="grievances/hotline/preview.html",
    urls={"start": "grievances:hotline-import", "preview": "grievances:hotline-preview",
          "done": "grievances:inbox"},
    done_message=_done_message,
    notes=column_notes,
    max_rows=MAX_ROWS,
    redirect_upload=True,
    listed=("warnings", "changes"),  # errors, warnings and changes: 500 of each shown
)
hotline_import = HOTLINE_PAGES.start
hotline_preview = HOTLINE_PAGES.preview
hotline_apply = HOTLINE_PAGES.apply
hotline_discard = HOTLINE_PAGES.discard


@staff_required
@require_GET
def hotline_template(request):
    return template_response(template_bytes(), filename="hotline-template.xlsx",
                             name="12345工单导入模板.xlsx")


staff_urlpatterns = [
    path("hotline/import/", hotline_import, name="hotline-import"),
    path("hotline/import/template.xlsx", hotline_template, name="hotline-template"),
    path("hotline/import/<str:token>/", hotline_preview, name="hotline-preview"),
    path("hotline/import/<str:token>/apply/", hotline_apply, name="hotline-apply"),
    path("hotline/import/<str:token>/discard/", hotline_discard, name="hotline-discard"),
]
public_urlpatterns = []


# --- Open311 GeoReport v2 -----------------------------------------------------------------

def _json(data, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, safe=False,
                        content_type="application/json; charset=utf-8",
                        json_dumps_params={"ensure_ascii": False})


def _error(exc: open311.Open311Error) -> JsonResponse:
    return _json(exc.as_json(), status=exc.status)


def _only_json(fmt: str) -> None:
    if fmt != "json":
        raise open311.Open311Error(400, _(
            "Format “%(format)s” is not offered: this endpoint answers in JSON only (use "
            ".json).") % {"format": fmt})


def open311_view(*methods: str):
    """GET (and the given other methods) only, JSON only, errors as the spec's list."""
    allowed = ("GET", *methods)

    def decorate(view):
        @csrf_exempt  # API-key clients, no cookies: nothing for CSRF to protect
        @never_cache
        def wrapper(request, *args, fmt: str, **kwargs):
            if request.method not in allowed:
                response = _json([{"code": 405, "description": _(
                    "Method %(method)s is not allowed here.") % {"method": request.method}}],
                    status=405)
                response["Allow"] = ", ".join(allowed)
                return response
            try:
                _only_json(fmt)
                return view(request, *args, **kwargs)
            except open311.Open311Error as exc:
                return _error(exc)

        wrapper.__name__ = view.__name__
        wrapper.__doc__ = view.__doc__
        return wrapper

    return decorate


@open311_view()
def discovery(request):
    url = request.build_absolute_uri(reverse("open311:services", kwargs={"fmt": "json"}))
    return _json(open311.discovery(endpoint_url=url.rsplit("/", 1)[0]))


@open311_view()
def services(request):
    return _json(open311.services())


@open311_view()
def service_definition(request, service_code: str):
    return _json(open311.service_definition(service_code))


@open311_view("POST")
def requests(request):
    if request.method == "POST":
        return _json(open311.request_create(request.POST), status=201)
    return _json(open311.requests_list(open311.parse_requests_query(request.GET)))


@open311_view()
def request_detail(request, service_request_id: str):
    return _json(open311.request_detail(service_request_id))


@open311_view()
def token(request, token: str):
    """Requests get their service_request_id at once (type realtime): no token is ever
    issued, so every token is unknown (404, as the spec says for a token not found)."""
    raise open311.Open311Error(404, _("Token %(token)s not found: this endpoint returns "
                                      "service_request_id at once and issues no tokens.")
                               % {"token": token})


def not_found(request, path: str):
    """Anything else under /open311/v2/: the specification's error list, not a page."""
    return _error(open311.Open311Error(
        404, _("No such Open311 resource: %(path)s.") % {"path": path}))


_FMT = r"\.(?P<fmt>[A-Za-z0-9]+)$"
open311_urlpatterns = [
    re_path(r"^discovery" + _FMT, discovery, name="discovery"),
    re_path(r"^services" + _FMT, services, name="services"),
    re_path(r"^services/(?P<service_code>[^/]+?)" + _FMT, service_definition, name="service"),
    re_path(r"^requests" + _FMT, requests, name="requests"),
    re_path(r"^requests/(?P<service_request_id>[^/]+?)" + _FMT, request_detail,
            name="request"),
    re_path(r"^tokens/(?P<token>[^/]+?)" + _FMT, token, name="token"),
    re_path(r"^(?P<path>.*)$", not_found, name="not-found"),
]
