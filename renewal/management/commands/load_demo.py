import time
from collections import defaultdict

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from compounds.demo import load_demo, write_summary
from consultation.demo import DemoProject, DemoWorkItem, load_consultation_demo
from grievances.demo import load_grievance_demo
from renewal.demo import load_programme_demo
from renewal.models import ItemStatus, Project, StageChange, WorkItem


def programme_facts() -> list[DemoProject]:
    """What the consultation demo needs to know of the programme (consultation never
    imports renewal): each project's stage, when it entered each stage, its work items.
    Three queries."""
    entered = defaultdict(dict)
    for project_id, stage, at in (StageChange.objects.order_by("at", "id")
                                  .values_list("project_id", "to_stage", "at")):
        entered[project_id][stage] = at
    items = defaultdict(list)
    for project_id, pk, code, name, idea_id in (
            WorkItem.objects.exclude(status=ItemStatus.CANCELLED).order_by("id")
            .values_list("project_id", "id", "type__code", "type__name", "idea_id")):
        items[project_id].append(DemoWorkItem(id=pk, type_code=code, type_name=name,
                                              has_idea=idea_id is not None))
    return [DemoProject(compound_id=p.compound_id, year=p.batch.year, stage=p.stage,
                        entered=entered[p.pk], actual_end=p.actual_end,
                        work_items=tuple(items[p.pk]))
            for p in Project.objects.select_related("batch").order_by("batch__year", "id")]


def link_adopted_ideas(links: list[tuple[int, int]]) -> int:
    """Set `WorkItem.idea` for the ideas the consultation demo adopted (what
    renewal.services.ideas.idea_adopt does for one idea): only on items without one."""
    items = WorkItem.objects.filter(pk__in=[item for item, _idea in links],
                                    idea__isnull=True).in_bulk()
    for item_id, idea_id in links:
        if item_id in items:
            items[item_id].idea_id = idea_id
    WorkItem.objects.bulk_update(items.values(), ["idea"], batch_size=500)
    return len(items)


class Command(BaseCommand):
    help = (
        "Build a believable demo district (subdistricts, communities, grids, about 300 "
        "compounds with buildings and dwellings), its renovation programme (four yearly "
        "batches, projects in every stage, work items, inspections, commitments), "
        "residents' issues (QR points, a year of issues in every state), consultation "
        "(topics and votes, meetings, golden ideas, visits, satisfaction gradings) and the "
        "demo logins. Deterministic from the seed; running it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2020, help="random seed (default 2020)")
        parser.add_argument(
            "--compounds-per-community",
            type=int,
            default=None,
            help="a fixed number of compounds in every community (default: 9–14 each)",
        )

    def handle(self, *args, seed, compounds_per_community, **options):
        if compounds_per_community is not None and compounds_per_community < 1:
            raise CommandError("--compounds-per-community must be at least 1.")
        started = time.monotonic()
        result = load_demo(
            seed=seed, stdout=self.stdout, compounds_per_community=compounds_per_community
        )
        programme = load_programme_demo(seed=seed)
        self.stdout.write(
            "Programme: +{projects} projects, +{work_items} work items, "
            "+{inspections} inspections, +{commitments} commitments, "
            "+{ballots} ballots on renovation plans.".format(**programme)
        )
        issues = load_grievance_demo(seed=seed)
        self.stdout.write(
            "Residents' issues: +{qr_points} QR points, +{grievances} issues "
            "(+{events} timeline events).".format(**issues)
        )
        with transaction.atomic():
            consultation = load_consultation_demo(seed=seed, projects=programme_facts())
            linked = link_adopted_ideas(consultation.pop("links"))
        self.stdout.write(
            "Consultation: {plan_topics_moved} renovation plans moved through their steps, "
            "+{topics} topics (+{ballots} ballots, +{household_codes} household codes), "
            "+{meetings} meetings ({meetings_with_minutes} with minutes), +{ideas} golden "
            "ideas ({linked} adopted into work items), +{visits} visits, +{grading_rounds} "
            "grading rounds (+{grading_responses} responses).".format(linked=linked,
                                                                      **consultation)
        )
        self.stdout.write(f"Done in {time.monotonic() - started:.1f} s (seed {seed}).")
        write_summary(result, self.stdout)
