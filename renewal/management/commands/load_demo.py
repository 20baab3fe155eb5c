import time

from django.core.management.base import BaseCommand, CommandError

from compounds.demo import load_demo, write_summary
from renewal.demo import load_programme_demo


class Command(BaseCommand):
    help = (
        "Build a believable demo district (subdistricts, communities, grids, about 300 "
        "compounds with buildings and dwellings), its renovation programme (four yearly "
        "batches, projects in every stage, work items, inspections, commitments) and the "
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
        self.stdout.write(f"Done in {time.monotonic() - started:.1f} s (seed {seed}).")
        write_summary(result, self.stdout)
