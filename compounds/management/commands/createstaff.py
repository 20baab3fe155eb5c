from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from compounds.models import Role
from compounds.services import staff_create


class Command(BaseCommand):
    help = "Create a staff account with a role and the area it may see."

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument(
            "--area", help="subdistrict or community name (unique in the district)"
        )
        parser.add_argument("--name", default="", help="the person's full name")

    def handle(self, *args, username, password, role, area, name, **options):
        try:
            user = staff_create(
                username=username, password=password, role=role, area=area, full_name=name
            )
        except ValidationError as exc:
            messages = [
                f"{field}: {message}" if field != "__all__" else message
                for field, errors in exc.message_dict.items()
                for message in errors
            ]
            raise CommandError("\n".join(messages)) from exc
        where = user.area_name or "全区"
        self.stdout.write(self.style.SUCCESS(f"Created {user.username} ({role}, {where})."))
