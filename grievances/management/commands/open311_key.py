"""Issue an Open311 API key, or switch a client's keys off.

    manage.py open311_key --name "某某小程序"      # the key is the last line printed
    manage.py open311_key --deactivate "某某小程序"

Only the key's SHA-256 is stored: print it once, hand it over, it cannot be shown again.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from grievances.open311 import open311_key_create, open311_key_deactivate


class Command(BaseCommand):
    help = ("Create an Open311 API key for a client (printed on the last line, stored "
            "hashed), or --deactivate a client's keys.")

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--name", help="the client application's name")
        group.add_argument("--deactivate", metavar="NAME",
                           help="switch off every active key of this client")

    def handle(self, *args, name=None, deactivate=None, **options):
        if deactivate is not None:
            count = open311_key_deactivate(name=deactivate)
            if not count:
                raise CommandError(f"No active Open311 key named {deactivate!r}.")
            self.stdout.write(f"Deactivated {count} key(s) of {deactivate}.")
            return
        try:
            client, key = open311_key_create(name=name)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"Open311 key #{client.pk} for {client.name}; it is stored hashed "
                          "and cannot be shown again. The key:")
        self.stdout.write(key)
