"""Golden ideas (金点子) of the demo: a few per renovated compound, in every state. An
adopted idea became a work item of its compound's project of the same kind (the link
itself is renewal's: `load` returns it for `load_demo` to set); one not adopted says
why, in public. Qingdao adopted 162 of 400+ ideas over 146 compounds; the full demo
district ends up with a similar share."""

from datetime import timedelta

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from compounds.demo.data import GIVEN_NAMES, MOBILE_PREFIXES, SURNAMES
from compounds.models import Compound
from consultation.demo import Demo, bulk_create_dated
from consultation.demo.texts import IDEAS, NOT_ADOPTED_REASONS, OTHER_IDEAS, REVIEW_NOTES
from consultation.models.ideas import Idea, IdeaEvent, IdeaSource, IdeaStatus

DAY = timedelta(days=1)


def _after(demo: Demo, rng, moment, low: int, high: int):
    return demo.before_now(moment + timedelta(hours=rng.randint(low * 24, high * 24)))


def load(demo: Demo) -> dict:
    have = set(Idea.objects.values_list("compound_id", flat=True))
    compounds = (Compound.objects.exclude(pk__in=have).select_related("community")
                 .order_by("id"))
    ideas, events, links = [], [], []
    community = demo.community_user
    with translation.override(settings.LANGUAGE_CODE):
        for compound in compounds:
            rng = demo.rng("ideas", compound.community.name, compound.name)
            project = demo.projects.get(compound.pk)
            count = rng.choice([0, 1, 1, 2, 2, 3]) if project else int(rng.random() < 0.15)
            free = [w for w in (project.work_items if project else ())
                    if w.type_code in IDEAS and not w.has_idea]
            rng.shuffle(free)
            staff = demo.staff_for(compound)
            ours = community is not None and compound.community_id == community.community_id
            count = max(count, 1) if ours else count
            for n in range(count):
                item = free.pop() if (free and project.past("design")
                                      and rng.random() < 0.5) else None
                source = rng.choices(list(IdeaSource.values), [55, 15, 15 if ours else 0, 15])[0]
                if ours and n == 0:  # the community's worker heard it on a visit
                    source = IdeaSource.VISIT
                idea = Idea(compound=compound, source=source,
                            created_by=None if source == IdeaSource.RESIDENT else staff)
                if source == IdeaSource.RESIDENT and rng.random() < 0.5:
                    idea.author_name = rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)
                    idea.author_phone = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
                if item is not None:
                    idea.text = rng.choice(IDEAS[item.type_code])
                    idea.created_at = _after(demo, rng, project.when("survey"), 0, 20)
                else:
                    pool = rng.choice([*IDEAS.values(), OTHER_IDEAS])
                    idea.text = rng.choice(pool)
                history = _history(demo, rng, idea, item, project, staff)
                ideas.append(idea)
                events += history
                if item is not None:
                    links.append((item.id, idea))
        bulk_create_dated(Idea, ideas, "created_at")
        bulk_create_dated(IdeaEvent, events, "at")
    return {"ideas": len(ideas), "ideas_adopted": len(links),
            "links": [(item_id, idea.pk) for item_id, idea in links]}


def _history(demo: Demo, rng, idea: Idea, item, project, staff) -> list[IdeaEvent]:
    """The idea's moves, dated; sets its status (and its received time when not set)."""
    if item is not None:
        status = IdeaStatus.ADOPTED
    else:
        status = rng.choices([IdeaStatus.RECEIVED, IdeaStatus.UNDER_REVIEW,
                              IdeaStatus.NOT_ADOPTED], [22, 33, 45])[0]
        ago = {IdeaStatus.RECEIVED: (1, 25), IdeaStatus.UNDER_REVIEW: (15, 150),
               IdeaStatus.NOT_ADOPTED: (40, 360)}[status]
        idea.created_at = demo.now - timedelta(hours=rng.randint(ago[0] * 24, ago[1] * 24))
    at = idea.created_at
    events = [IdeaEvent(idea=idea, to_status=IdeaStatus.RECEIVED, by=idea.created_by, at=at)]
    if status == IdeaStatus.RECEIVED:
        idea.status = status
        return events
    at = _after(demo, rng, at, 2, 10)
    events.append(IdeaEvent(idea=idea, from_status=IdeaStatus.RECEIVED,
                            to_status=IdeaStatus.UNDER_REVIEW, note=rng.choice(REVIEW_NOTES),
                            by=staff, at=at))
    if status == IdeaStatus.ADOPTED:
        at = demo.before_now(max(at + DAY, project.when("design")
                                 + timedelta(hours=rng.randint(24, 300))))
        note = _("Became the work item “%(item)s” (#%(id)s).") % {"item": item.type_name,
                                                                  "id": item.id}
        events.append(IdeaEvent(idea=idea, from_status=IdeaStatus.UNDER_REVIEW,
                                to_status=IdeaStatus.ADOPTED, note=note, by=staff, at=at))
    elif status == IdeaStatus.NOT_ADOPTED:
        idea.public_reason = rng.choice(NOT_ADOPTED_REASONS)
        at = _after(demo, rng, at, 5, 20)
        events.append(IdeaEvent(idea=idea, from_status=IdeaStatus.UNDER_REVIEW,
                                to_status=IdeaStatus.NOT_ADOPTED, by=staff, at=at,
                                public_reason=idea.public_reason))
        if rng.random() < 0.15:  # a resident asked again: looked at once more
            at = _after(demo, rng, at, 10, 30)
            events.append(IdeaEvent(idea=idea, from_status=IdeaStatus.NOT_ADOPTED,
                                    to_status=IdeaStatus.UNDER_REVIEW, by=staff, at=at,
                                    note="居民再次提出，重新评估"))
            idea.public_reason = ""
            status = IdeaStatus.UNDER_REVIEW
    idea.status = status
    return events
