"""Staff pages of residents' issues (mounted at /grievances/, namespace `grievances`):
the inbox of the user's area and level (filters, bulk assign, export), the issue page
(timeline, contact on demand, the handling actions, merging duplicates) and recording an
issue heard on a visit, an inspection or at the office. Thin: parse, call a selector or a
service, render. Every page starts from the area gate (`grievances_visible_to`)."""

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, Q, When
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from compounds.errors import ApplicationError
from compounds.models import Building
from compounds.selectors import (
    communities_visible_to,
    compounds_visible_to,
    sees_whole_district,
    subdistricts_visible_to,
)
from compounds.statemachine import available_moves
from compounds.web import form_add_service_errors
from compounds.xlsx import xlsx_response
from grievances.filtersets import (
    CHIP_KEYS,
    MULTI_KEYS,
    SORT_CHOICES,
    GrievanceFilterSet,
    default_levels,
    filter_chips,
    query_values,
)
from grievances.forms_staff import (
    AssignForm,
    BulkAssignForm,
    GrievanceCreateForm,
    MergeForm,
    ReplyForm,
    TransitionForm,
    assignee_candidates,
    compound_assignees,
)
from grievances.models import (
    OPEN_STATUSES,
    TRANSITIONS,
    Category,
    Channel,
    EventKind,
    Level,
    Party,
    Priority,
    Rating,
    ReplyTemplate,
    Status,
)
from grievances.privacy import (
    audit_contact_views,
    mask_name,
    mask_phone,
    may_see_contact,
    reveal_contact,
)
from grievances.selectors import (
    duplicate_candidates,
    grievance_get_visible,
    grievances_visible_to,
    normalize_code,
)
from grievances.services.handling import (
    ASSIGNABLE_FROM,
    grievance_assign,
    grievance_merge,
    grievance_reply,
    grievance_transition,
)
from grievances.services.intake import grievance_submit

PAGE_SIZE = 50
EXPORT_LIMIT = 50_000
# The inbox counts matching issues up to this many; more shows as "10,000+" (and 200
# pages): an exact COUNT(*) over a whole district's million issues costs more than the
# page itself, and nobody pages past 10,000 issues (they narrow the filters).
COUNT_CAP = 10_000
# The compound filter lists every compound of the area up to this many; a bigger area
# (a district, a large subdistrict) lists those of the chosen community (or subdistrict)
# once one is chosen, plus the chosen compound: a <select> of 10,000 options cost 0.6 s
# to render and nobody scrolls it.
COMPOUND_CHOICES_MAX = 300
# Moves with their own form (assign, merge) or not staff's to make (closing).
NO_BUTTON_MOVES = (Status.ASSIGNED, Status.MERGED, Status.CLOSED)


def inbox_query(request) -> tuple[QueryDict, bool]:
    """The inbox's filters: as sent, or the user's defaults (open issues at their level)
    when nothing was chosen yet. `f=1` marks a query the user made, so that removing every
    filter shows every issue instead of the defaults again."""
    query = request.GET.copy()
    query.pop("page", None)
    if "f" in query or any(v for k in CHIP_KEYS for v in query.getlist(k)):
        return query, False
    query.setlist("open", ["true"])
    if levels := default_levels(request.user):
        query.setlist("level", levels)
    query["f"] = "1"
    return query, True


def inbox_filterset(request) -> tuple[GrievanceFilterSet, QueryDict, bool]:
    query, defaulted = inbox_query(request)
    queryset = grievances_visible_to(request.user).select_related(
        "compound__community", "building", "category", "assignee"
    )
    return GrievanceFilterSet(query, queryset=queryset, request=request), query, defaulted


# --- the inbox ----------------------------------------------------------------------


class CappedCount(int):
    """A count known only to be at least `COUNT_CAP`: a number for paging and plurals,
    shown as "10,000+"."""

    def __str__(self) -> str:
        return f"{int(self):,}+"


class CappedPaginator(Paginator):
    """Counts at most `COUNT_CAP` + 1 matching rows (one query, no ORDER BY, the
    narrowest index), so a page costs the same for 300 issues and for a million."""

    @cached_property
    def count(self) -> int:
        found = self.object_list.order_by().values("pk")[:COUNT_CAP + 1].count()
        return CappedCount(COUNT_CAP) if found > COUNT_CAP else found


# Django's get_FOO_display() builds a dict of the field's lazy labels, translating every
# one, at each call (~50 µs: a third of an inbox page's rendering, and 5 calls per row of
# an export). Listed rows get theirs from one lookup per request instead.
_LABELLED = {"status": Status, "level": Level, "party": Party, "priority": Priority,
             "channel": Channel, "rating": Rating}


def label_rows(rows) -> None:
    """Give each issue of `rows` get_FOO_display() methods that look the label up in a
    dict made once (same result as Django's, for the choice fields of _LABELLED)."""
    labels = {field: {value: str(label) for value, label in choices.choices}
              for field, choices in _LABELLED.items()}
    for g in rows:
        for field, names in labels.items():
            value = getattr(g, field)
            setattr(g, f"get_{field}_display", partial(names.get, value, value))


def _int(value) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() else None


def compound_choices(user, query: QueryDict) -> list[tuple[int, str]]:
    """The compound filter's options, by name (one query): every compound of the area
    when there are at most COMPOUND_CHOICES_MAX, else those of the chosen community (or
    subdistrict) when that is small enough; the chosen compound always."""
    chosen = _int(query.get("compound"))
    compounds = compounds_visible_to(user)
    also = Q(pk=chosen) if chosen else Q(pk__in=[])
    if community := _int(query.get("community")):
        compounds = compounds.filter(Q(community_id=community) | also)
    elif subdistrict := _int(query.get("subdistrict")):
        compounds = compounds.filter(Q(community__subdistrict_id=subdistrict) | also)
    order = ["name"]
    if chosen:  # first, so that it is among the rows read even when there are too many
        order.insert(0, Case(When(pk=chosen, then=0), default=1))
    rows = list(compounds.order_by(*order).values_list("id", "name")
                [:COMPOUND_CHOICES_MAX + 1])
    if len(rows) > COMPOUND_CHOICES_MAX:
        return [row for row in rows if row[0] == chosen]
    return sorted(rows, key=lambda row: row[1]) if chosen else rows


def _render_inbox(request, *, bulk_form=None, status=200):
    filterset, query, defaulted = inbox_filterset(request)
    page = CappedPaginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    page.object_list = list(page.object_list)
    for g in page.object_list:
        g.is_overdue = bool(g.status in OPEN_STATUSES and g.due_at and g.due_at < now)
    label_rows(page.object_list)
    user = request.user
    compounds = compound_choices(user, query)
    communities = list(communities_visible_to(user).order_by("name").values_list("id", "name"))
    subdistricts = list(subdistricts_visible_to(user).order_by("name")
                        .values_list("id", "name"))
    categories = list(Category.objects.values_list("code", "name"))
    names = {
        "compound": {str(k): v for k, v in compounds},
        "community": {str(k): v for k, v in communities},
        "subdistrict": {str(k): v for k, v in subdistricts},
        "category": dict(categories),
        "status": dict(Status.choices), "level": dict(Level.choices),
        "priority": dict(Priority.choices), "channel": dict(Channel.choices),
    }
    if bulk_form is None:
        bulk_form = BulkAssignForm(assignees=assignee_candidates(user),
                                   initial={"query": query.urlencode()})
    selected = {str(v) for v in (bulk_form["ids"].value() or [])}
    form = filterset.form

    def options(key, rows):
        """(value, label, selected) for a select: compared once here, not per option
        in the template (the compound list alone has up to 300 options)."""
        value = form[key].value()
        chosen = "" if value in (None, "") else str(value)
        return [(str(v), label, str(v) == chosen) for v, label in rows]

    return render(request, "grievances/staff/inbox.html", {
        "filterset": filterset,
        "f": filterset.form,
        "page": page,
        "query": query.urlencode(),
        "chips": filter_chips(query, names=names),
        "defaulted": defaulted,
        "now": now,
        "open_statuses": OPEN_STATUSES,
        "chosen": {key: set(query_values(query, key)) for key in MULTI_KEYS},
        "compounds": options("compound", compounds),
        "communities": options("community", communities) if len(communities) > 1 else [],
        "subdistricts": options("subdistrict", subdistricts) if len(subdistricts) > 1 else [],
        "categories": options("category", categories),
        "statuses": Status.choices,
        "levels": Level.choices,
        "priorities": options("priority", Priority.choices),
        "channels": options("channel", Channel.choices),
        "sorts": options("sort", SORT_CHOICES),
        "selected": selected,
        "bulk_form": bulk_form,
    }, status=status)


@login_required
def inbox(request):
    return _render_inbox(request)


@login_required
@require_POST
def bulk_assign(request):
    """Assign each ticked issue; one transaction per issue (the service's), so a refusal
    (a party not of that level, an assignee not covering that compound, an issue already
    closed) leaves the others assigned, and each refusal is reported by tracking code."""
    form = BulkAssignForm(request.POST, assignees=assignee_candidates(request.user))
    if not form.is_valid():
        request.GET = QueryDict(form.data.get("query", ""))
        return _render_inbox(request, bulk_form=form, status=400)
    ids = form.cleaned_data["ids"]
    codes = dict(grievances_visible_to(request.user).filter(pk__in=ids)
                 .values_list("pk", "tracking_code"))
    done, failed = 0, []
    for pk in ids:
        code = codes.get(pk, f"#{pk}")
        try:
            if pk not in codes:
                raise Http404
            grievance_assign(by=request.user, grievance_id=pk, **form.service_data())
        except ValidationError as exc:
            failed.append((code, " ".join(exc.messages)))
        except ApplicationError as exc:
            failed.append((code, exc.message))
        except Http404:
            failed.append((code, _("not found in your area")))
        else:
            done += 1
    if done:
        messages.success(request, ngettext("%(count)d issue assigned.",
                                           "%(count)d issues assigned.", done)
                         % {"count": done})
    for code, reason in failed:
        messages.error(request, _("%(code)s was not assigned: %(reason)s")
                       % {"code": code, "reason": reason})
    query = form.cleaned_data.get("query") or ""
    return redirect(f"{reverse('grievances:inbox')}?{query}")


def _who(user) -> str:
    return (user.get_full_name() or user.username) if user else ""


def export_columns(*, unmasked: bool) -> list:
    name = (lambda g: g.reporter_name) if unmasked else (lambda g: mask_name(g.reporter_name))
    phone = ((lambda g: g.reporter_phone) if unmasked
             else (lambda g: mask_phone(g.reporter_phone)))
    return [
        (_("Tracking code"), lambda g: g.tracking_code),
        (_("Received at"), lambda g: g.received_at),
        (_("Channel"), lambda g: g.get_channel_display()),
        (_("Subdistrict"), lambda g: g.compound.community.subdistrict.name),
        (_("Community"), lambda g: g.compound.community.name),
        (_("Compound"), lambda g: g.compound.name),
        (_("Building"), lambda g: g.building.number if g.building else ""),
        (_("Unit"), lambda g: g.unit),
        (_("Category"), lambda g: g.category.name),
        (_("Problem description"), lambda g: g.description),
        (_("Status"), lambda g: g.get_status_display()),
        (_("Level"), lambda g: g.get_level_display()),
        (_("Responsible party"), lambda g: " ".join(
            p for p in (g.get_party_display(), g.party_name) if p)),
        (_("Assignee"), lambda g: _who(g.assignee)),
        (_("Priority"), lambda g: g.get_priority_display()),
        (_("Due"), lambda g: g.due_at),
        (_("Overdue"), lambda g: _("Yes") if g.is_overdue else _("No")),
        (_("Resolved at"), lambda g: g.resolved_at),
        (_("Closed at"), lambda g: g.closed_at),
        (_("Rating"), lambda g: g.get_rating_display()),
        (_("Reporter"), name),
        (_("Phone"), phone),
    ]


@login_required
def export(request):
    """The inbox as filtered, every row of it (up to EXPORT_LIMIT, else a message asks to
    narrow the filters), as .xlsx. Names and phones are masked except for district staff;
    their export is written to the contact audit (one ContactView per issue with contact
    details, where="export")."""
    filterset, query, _defaulted = inbox_filterset(request)
    back = f"{reverse('grievances:inbox')}?{query.urlencode()}"
    if not filterset.is_valid():
        messages.error(request, _("Correct the filters before exporting."))
        return redirect(back)
    rows = list(filterset.qs.select_related("compound__community__subdistrict")
                [:EXPORT_LIMIT + 1])
    if len(rows) > EXPORT_LIMIT:
        messages.error(request, _("More than %(limit)s issues match these filters: narrow "
                                  "them (e.g. by dates) and export again.")
                       % {"limit": f"{EXPORT_LIMIT:,}"})
        return redirect(back)
    now = timezone.now()
    for g in rows:
        g.is_overdue = bool(g.status in OPEN_STATUSES and g.due_at and g.due_at < now)
    label_rows(rows)
    unmasked = sees_whole_district(request.user)
    if unmasked:
        # PIPL: every unmasked look is audited.
        audit_contact_views(user=request.user, grievances=rows, where="export")
    return xlsx_response(filename=_("resident-issues"), title=_("Resident issues"),
                         columns=export_columns(unmasked=unmasked), rows=rows)


# --- the issue page -----------------------------------------------------------------


def _templates(grievance):
    return list(ReplyTemplate.objects.filter(active=True).filter(
        Q(category__isnull=True) | Q(category_id=grievance.category_id)))


def timeline(grievance) -> list[dict]:
    """Events and replies (internal notes marked) in time order; a reply's own
    REPLIED event is not shown twice."""
    entries = [
        {"at": e.at, "event": e, "by": e.by}
        for e in grievance.events.select_related("by") if e.kind != EventKind.REPLIED
    ] + [{"at": r.at, "reply": r, "by": r.by} for r in grievance.replies.select_related("by")]
    entries.sort(key=lambda e: (e["at"], "reply" in e))
    return entries


def _render_detail(request, grievance, *, forms=None, contact=None, error=None, status=200):
    forms = forms or {}
    user = request.user
    templates = _templates(grievance)
    if contact is None:
        contact = (mask_name(grievance.reporter_name), mask_phone(grievance.reporter_phone),
                   True)
    has_contact = bool(grievance.reporter_name or grievance.reporter_phone)
    now = timezone.now()
    return render(request, "grievances/staff/detail.html", {
        "g": grievance,
        "now": now,
        "open_statuses": OPEN_STATUSES,
        "is_overdue": bool(grievance.status in OPEN_STATUSES and grievance.due_at
                           and grievance.due_at < now),
        "photos": list(grievance.photos.all()),
        "timeline": timeline(grievance),
        "merged": list(grievance.merged.all()),
        "duplicates": duplicate_candidates(grievance=grievance),
        "contact": {"name": contact[0], "phone": contact[1], "masked": contact[2],
                    "any": has_contact},
        "may_reveal": has_contact and contact[2] and may_see_contact(user=user,
                                                                     grievance=grievance),
        "moves": [(v, label) for v, label in available_moves(
            current=grievance.status, transitions=TRANSITIONS, choices=Status)
            if v not in NO_BUTTON_MOVES],
        "can_assign": grievance.status in ASSIGNABLE_FROM,
        "can_merge": Status.MERGED in TRANSITIONS.get(grievance.status, ()),
        "templates": templates,
        "move_form": forms.get("move") or TransitionForm(prefix="move"),
        "assign_form": forms.get("assign") or AssignForm(
            prefix="assign", assignees=compound_assignees(grievance.compound),
            initial={"level": grievance.level, "party": grievance.party,
                     "party_name": grievance.party_name, "assignee": grievance.assignee_id}),
        "reply_form": forms.get("reply") or ReplyForm(prefix="reply", templates=templates),
        "merge_form": forms.get("merge") or MergeForm(prefix="merge"),
        "error": error,
    }, status=status)


@login_required
def detail(request, pk: int):
    return _render_detail(request, grievance_get_visible(user=request.user, grievance_id=pk))


def _back(pk: int, anchor: str = ""):
    url = reverse("grievances:detail", args=[pk])
    return redirect(f"{url}#{anchor}" if anchor else url)


def _refused(request, grievance, form_key, form, exc: ApplicationError):
    return _render_detail(request, grievance, forms={form_key: form}, error=exc,
                          status=exc.status_code)


@login_required
@require_POST
def reveal(request, pk: int):
    """Show the reporter's unmasked name and phone (to the assignee and district staff)
    on this response only; each look is written to the audit log (ContactView)."""
    grievance = grievance_get_visible(user=request.user, grievance_id=pk)
    try:
        name, phone = reveal_contact(user=request.user, grievance_id=pk, where="staff page")
    except ApplicationError as exc:
        return _render_detail(request, grievance, error=exc, status=exc.status_code)
    return _render_detail(request, grievance, contact=(name, phone, False))


@login_required
@require_POST
def move(request, pk: int):
    grievance = grievance_get_visible(user=request.user, grievance_id=pk)
    form = TransitionForm(request.POST, prefix="move")
    if form.is_valid():
        data = form.cleaned_data
        try:
            grievance_transition(by=request.user, grievance_id=pk, to=data["to"],
                                 note=data["note"], reply=data["reply"])
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        except ApplicationError as exc:
            return _refused(request, grievance, "move", form, exc)
        else:
            messages.success(request, _("The issue is now “%(status)s”.")
                             % {"status": Status(data["to"]).label})
            return _back(pk)
    return _render_detail(request, grievance, forms={"move": form}, status=400)


@login_required
@require_POST
def assign(request, pk: int):
    grievance = grievance_get_visible(user=request.user, grievance_id=pk)
    form = AssignForm(request.POST, prefix="assign",
                      assignees=compound_assignees(grievance.compound))
    if form.is_valid():
        try:
            grievance_assign(by=request.user, grievance_id=pk, **form.service_data())
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        except ApplicationError as exc:
            return _refused(request, grievance, "assign", form, exc)
        else:
            messages.success(request, _("Issue assigned."))
            return _back(pk)
    return _render_detail(request, grievance, forms={"assign": form}, status=400)


@login_required
@require_POST
def reply(request, pk: int):
    """A public reply or an internal note. `use_template` (the way without JavaScript)
    adds the chosen template's text to the textarea and shows the form again; nothing
    is saved until "Send"."""
    grievance = grievance_get_visible(user=request.user, grievance_id=pk)
    templates = _templates(grievance)
    form = ReplyForm(request.POST, prefix="reply", templates=templates)
    if form.is_valid() and "use_template" in request.POST:
        data = request.POST.copy()
        if (text := form.template_text()) is not None:
            current = (data.get("reply-text") or "").strip()
            data["reply-text"] = f"{current}\n{text}" if current else text
        data.pop("reply-template", None)
        return _render_detail(request, grievance, forms={
            "reply": ReplyForm(data, prefix="reply", templates=templates)})
    if form.is_valid():
        public = not form.cleaned_data["internal"]
        try:
            grievance_reply(by=request.user, grievance_id=pk, text=form.cleaned_data["text"],
                            public=public)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        except ApplicationError as exc:
            return _refused(request, grievance, "reply", form, exc)
        else:
            messages.success(request, _("Reply sent.") if public else _("Internal note saved."))
            return _back(pk, "timeline")
    return _render_detail(request, grievance, forms={"reply": form}, status=400)


@login_required
@require_POST
def merge(request, pk: int):
    """Merge this issue into another: a suggested duplicate's button sends its id, the
    form takes a tracking code. This one closes as a duplicate; its reporter follows the
    survivor's replies."""
    grievance = grievance_get_visible(user=request.user, grievance_id=pk)
    form = MergeForm(request.POST, prefix="merge")
    if form.is_valid():
        into_id = form.cleaned_data.get("into")
        if not into_id:
            code = normalize_code(form.cleaned_data["into_code"])
            into_id = (grievances_visible_to(request.user).filter(tracking_code=code)
                       .values_list("pk", flat=True).first())
        try:
            if not into_id:
                raise ValidationError({"into": [_("No issue with this tracking code in "
                                                  "your area.")]})
            merged = grievance_merge(by=request.user, grievance_id=pk, into_id=into_id)
        except ValidationError as exc:
            for error in exc.message_dict.get("into", []) + exc.message_dict.get(
                    "__all__", []):
                form.add_error("into_code", error)
        except ApplicationError as exc:
            return _refused(request, grievance, "merge", form, exc)
        else:
            messages.success(request, _("Merged into %(code)s.")
                             % {"code": merged.merged_into.tracking_code})
            return _back(pk)
    return _render_detail(request, grievance, forms={"merge": form}, status=400)


# --- recording an issue ---------------------------------------------------------------


@login_required
def create(request):
    """Record an issue heard on a visit, an inspection or at the office (the intake
    service with `by`). `?compound=` preselects a compound and offers its buildings."""
    compounds = list(compounds_visible_to(request.user).order_by("name"))
    chosen = request.POST.get("compound") or request.GET.get("compound") or ""
    buildings = []
    if chosen.isdigit() and int(chosen) in {c.pk for c in compounds}:
        buildings = list(Building.objects.filter(compound_id=int(chosen)).order_by("number"))
    kwargs = {"compounds": compounds, "categories": Category.objects.filter(active=True),
              "buildings": buildings}
    status = 200
    if request.method == "POST" and "choose_compound" in request.POST:
        # The compound was chosen: offer its buildings, keep what was typed, save nothing.
        form = GrievanceCreateForm(initial=request.POST.dict(), **kwargs)
    elif request.method == "POST":
        form = GrievanceCreateForm(request.POST, request.FILES, **kwargs)
        if form.is_valid():
            try:
                grievance = grievance_submit(by=request.user, **form.service_data())
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            except ApplicationError as exc:
                form_add_service_errors(form, ValidationError(exc.extra or exc.message))
            else:
                messages.success(request, _("Issue %(code)s recorded.")
                                 % {"code": grievance.tracking_code})
                return redirect("grievances:detail", pk=grievance.pk)
        status = 400
    else:
        initial = {"channel": Channel.VISIT, "compound": int(chosen) if chosen.isdigit() else None}
        form = GrievanceCreateForm(initial=initial, **kwargs)
    return render(request, "grievances/staff/create.html", {
        "form": form,
        "photos_lost": request.method == "POST" and bool(request.FILES.getlist("photos")),
    }, status=status)


staff_urlpatterns = [
    path("", inbox, name="inbox"),
    path("export/", export, name="export"),
    path("bulk-assign/", bulk_assign, name="bulk-assign"),
    path("new/", create, name="create"),
    path("<int:pk>/", detail, name="detail"),
    path("<int:pk>/contact/", reveal, name="reveal-contact"),
    path("<int:pk>/move/", move, name="move"),
    path("<int:pk>/assign/", assign, name="assign"),
    path("<int:pk>/reply/", reply, name="reply"),
    path("<int:pk>/merge/", merge, name="merge"),
]
public_urlpatterns = []
open311_urlpatterns = []
