"""Import a city-hotline export (12345 / 青诉即办, .xlsx or .csv) as a staff member.

    manage.py import_hotline export.xlsx --user east           # preview: writes nothing
    manage.py import_hotline export.xlsx --user east --apply   # all or nothing

The user's area decides which compounds the rows may name, as on the import page.
Exits with an error (status 1) when the file has problems; nothing is written then.
"""

from django.core.management.base import BaseCommand, CommandError

from compounds.errors import ApplicationError
from compounds.models import User
from grievances.hotline import hotline_import_apply, hotline_import_preview


class Command(BaseCommand):
    help = "Check (and with --apply import) a city-hotline export as the given staff user."

    def add_arguments(self, parser):
        parser.add_argument("file", help=".xlsx or .csv export of the hotline")
        parser.add_argument("--user", required=True, help="the staff account importing it")
        parser.add_argument("--apply", action="store_true",
                            help="write it (all or nothing); without it only a preview")

    def handle(self, *args, file, user, apply, **options):
        account = User.objects.filter(username=user, is_active=True).first()
        if account is None:
            raise CommandError(f"No active user {user!r}.")
        try:
            with open(file, "rb") as fileobj:
                if apply:
                    report = hotline_import_apply(user=account, fileobj=fileobj)
                else:
                    report = hotline_import_preview(user=account, fileobj=fileobj)
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or exc}") from exc
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc

        for label, items in (("warning", report.warnings), ("error", report.errors)):
            for item in items:
                where = f"row {item.row}" if item.row is not None else "file"
                column = f" [{item.column}]" if item.column else ""
                self.stdout.write(f"{label}: {where}{column}: {item.reason}")
        summary = (f"{report.rows} rows: {report.created} new, {report.updated} updated, "
                   f"{report.unchanged} unchanged")
        if report.errors:
            raise CommandError(f"{summary}; {report.bad_rows or 1} row(s) with problems. "
                               "Nothing was written.")
        if apply:
            self.stdout.write(self.style.SUCCESS(f"Imported. {summary}."))
        else:
            self.stdout.write(f"Preview (nothing written). {summary}. Add --apply to import.")
