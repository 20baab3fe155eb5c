"""Golden ideas (金点子): the staff list, entry and review (area gate first), and the
residents' side under /r/ (no account): the QR phone form, its thank-you page, and the
compound's public list of ideas with what became of them — never who sent them.

Adoption is renewal's (it links the work item the idea became): its page is
renewal/views/ideas.py, mounted as `ideas:adopt`; the detail page links to it."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from compounds.models import Building, Compound
from compounds.privacy import mask_name, mask_phone
from compounds.ratelimit import attempts, client_address, record_attempt
from compounds.selectors import compounds_visible_to
from compounds.statemachine import available_moves
from compounds.validation import as_id
from compounds.web import form_add_service_errors
from consultation.filtersets_meetings import IdeaFilterSet
from consultation.forms.ideas import IdeaMoveForm, ResidentIdeaForm, StaffIdeaForm
from consultation.models.ideas import IDEA_TRANSITIONS, IdeaSource, IdeaStatus
from consultation.selectors.ideas import (
    as_public,
    idea_get_visible,
    idea_list,
    idea_status_counts,
    public_ideas,
)
from consultation.services.ideas import idea_submit, idea_transition
from consultation.views.common import form_to_service, page_of, query_without_page

PAGE_SIZE = 50
PUBLIC_PAGE_SIZE = 20
# Accepted submissions from one address: (how many, per how many seconds).
DEFAULT_RATE = (5, 60 * 60)
_RATE_SCOPE = "consultation-idea"

MOVE_LABELS = {
    IdeaStatus.UNDER_REVIEW: gettext_lazy("Start the review"),
    IdeaStatus.NOT_ADOPTED: gettext_lazy("Not adopted"),
}
REVIEW_AGAIN = gettext_lazy("Review it again")


# --- staff ------------------------------------------------------------------------------


@login_required
def idea_list_page(request):
    filterset = IdeaFilterSet(request.GET, queryset=idea_list(user=request.user))
    page = page_of(request, filterset.qs, PAGE_SIZE)
    return render(request, "consultation/ideas/list.html", {
        "filterset": filterset,
        "page": page,
        "query": query_without_page(request),
        "statuses": IdeaStatus.choices,
        "sources": IdeaSource.choices,
    })


@login_required
def idea_create(request):
    """A worker records an idea; `?compound=` chooses the compound (and its buildings)."""
    user = request.user
    source = request.POST if request.method == "POST" else request.GET
    compounds = compounds_visible_to(user).only("id", "name")
    compound_id = as_id(source.get("compound"))
    buildings = (Building.objects.filter(compound__in=compounds, compound_id=compound_id)
                 .order_by("number") if compound_id else Building.objects.none())
    form = StaffIdeaForm(request.POST or None, compounds=compounds, buildings=buildings,
                         initial={"compound": compound_id, "source": IdeaSource.WORKER})
    if request.method == "POST" and form.is_valid():
        try:
            idea = idea_submit(by=user, **form.service_data())
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Idea recorded."))
            return redirect("consultation:idea-detail", idea.pk)
    return render(request, "consultation/ideas/form.html", {
        "form": form, "compound_id": compound_id,
    })


def _prefix(to: str) -> str:
    return f"m-{to}" if to in IdeaStatus.values else "m"


def _moves(idea, forms=None):
    forms = forms or {}
    moves = []
    for value, _label in available_moves(current=idea.status, transitions=IDEA_TRANSITIONS,
                                         choices=IdeaStatus):
        if value == IdeaStatus.ADOPTED:
            continue
        label = (REVIEW_AGAIN if idea.status == IdeaStatus.NOT_ADOPTED
                 else MOVE_LABELS[value])
        form = forms.get(value) or IdeaMoveForm(prefix=_prefix(value))
        if value != IdeaStatus.NOT_ADOPTED:
            del form.fields["public_reason"]
        moves.append({"to": value, "label": label, "form": form})
    return moves


def _detail(request, idea, *, forms=None, status=200):
    contact = request.user.sees_owner_contact
    # Renewal's page, when it is mounted: `url … as` leaves it empty otherwise.
    return render(request, "consultation/ideas/detail.html", {
        "idea": idea,
        "events": idea.events.all(),
        "work_items": idea.work_items.all(),
        "moves": _moves(idea, forms),
        "can_adopt": idea.status in (IdeaStatus.UNDER_REVIEW, IdeaStatus.ADOPTED),
        "author_name": idea.author_name if contact else mask_name(idea.author_name),
        "author_phone": idea.author_phone if contact else mask_phone(idea.author_phone),
    }, status=status)


@login_required
def idea_detail(request, pk: int):
    return _detail(request, idea_get_visible(user=request.user, idea_id=pk))


@login_required
@require_POST
def idea_move(request, pk: int):
    idea = idea_get_visible(user=request.user, idea_id=pk)
    # The target is the button pressed; which targets exist is the service's to say.
    to = request.POST.get("to", "")
    form = IdeaMoveForm(request.POST, prefix=_prefix(to))
    if form.is_valid():
        done = form_to_service(
            request, form,
            lambda: idea_transition(by=request.user, idea_id=idea.pk, to=to,
                                    **form.cleaned_data),
            success=_("Idea updated."),
            then=reverse("consultation:idea-detail", args=[idea.pk]))
        if done:
            return done
    return _detail(request, idea, forms={to: form}, status=200)


# --- residents (no account) --------------------------------------------------------------


def _rate() -> tuple[int, int]:
    return getattr(settings, "IDEA_SUBMIT_RATE", DEFAULT_RATE)


def _over_limit(request) -> bool:
    limit, window = _rate()
    return attempts(_RATE_SCOPE, client_address(request), window=window) >= limit


def _count_submission(request) -> None:
    _limit, window = _rate()
    record_attempt(_RATE_SCOPE, client_address(request), window=window)


def _public_compound(compound_id: int) -> Compound:
    return get_object_or_404(Compound.objects.select_related("community"), pk=compound_id)


def idea_submit_page(request, compound_id: int):
    """The phone form a compound's QR poster opens: the idea, optionally the building,
    a name and a mobile number. A honeypot catches robots; an address may send a few
    ideas an hour (DEFAULT_RATE, or settings.IDEA_SUBMIT_RATE), then gets a 429 page."""
    compound = _public_compound(compound_id)
    buildings = compound.buildings.order_by("number")
    form = ResidentIdeaForm(request.POST or None, buildings=buildings)
    if request.method == "POST":
        if _over_limit(request):
            return render(request, "resident/idea_limit.html", {"compound": compound},
                          status=429)
        if form.is_robot:
            # Looks accepted, keeps nothing.
            _count_submission(request)
            return redirect("resident:idea-thanks", compound.pk)
        if form.is_valid():
            try:
                idea = idea_submit(by=None, compound_id=compound.pk,
                                   source=IdeaSource.RESIDENT, **form.service_data())
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                _count_submission(request)
                return redirect(reverse("resident:idea-thanks", args=[compound.pk])
                                + f"?idea={idea.pk}")
    return render(request, "resident/idea_form.html", {"form": form, "compound": compound})


def idea_thanks(request, compound_id: int):
    compound = _public_compound(compound_id)
    return render(request, "resident/idea_thanks.html", {
        "compound": compound, "idea_id": as_id(request.GET.get("idea")),
    })


def idea_public_list(request, compound_id: int):
    """What became of a compound's ideas: received, under review, adopted (into which
    kind of work) or not adopted (and why). No name, no phone, ever."""
    compound = _public_compound(compound_id)
    page = page_of(request, public_ideas(compound_id=compound.pk), PUBLIC_PAGE_SIZE)
    if page.number > 1 and not page.object_list:
        raise Http404("no such page")
    return render(request, "resident/idea_list.html", {
        "compound": compound,
        "page": page,
        "ideas": [as_public(idea) for idea in page.object_list],
        "counts": idea_status_counts(compound_id=compound.pk),
    })


urlpatterns = [
    path("ideas/", idea_list_page, name="idea-list"),
    path("ideas/new/", idea_create, name="idea-create"),
    path("ideas/<int:pk>/", idea_detail, name="idea-detail"),
    path("ideas/<int:pk>/move/", idea_move, name="idea-move"),
]
public_urlpatterns = [
    path("c/<int:compound_id>/idea/", idea_submit_page, name="idea-submit"),
    path("c/<int:compound_id>/idea/thanks/", idea_thanks, name="idea-thanks"),
    path("c/<int:compound_id>/ideas/", idea_public_list, name="idea-public-list"),
]
