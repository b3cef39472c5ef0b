"""`linli backup`: the database and the uploaded files in one archive, while Linli runs.

    linli backup                              var/backups/linli-backup-YYYYmmdd-HHMMSS.tar.gz
    linli backup --output /srv/backups        a dated archive in that folder
    linli backup --output /srv/backups --keep 14    and delete all but the newest 14 there

What the archive holds and how it is made: ``core.backups``. Restore it with `linli restore`.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import backups
from core.errors import ApplicationError

HELP = gettext_lazy("Back up the database and the uploaded files into one archive (restore it with `linli restore`).")
DEFAULT_FOLDER = Path(settings.BASE_DIR) / "var" / "backups"


class Command(BaseCommand):
    help = HELP

    def add_arguments(self, parser):
        with translation.override(settings.LANGUAGE_CODE):
            parser.description = str(HELP)
            parser.add_argument("--output", "-o", type=Path, default=DEFAULT_FOLDER,
                                help=_("A folder for a dated archive, or the archive's own path (*.tar.gz)"))
            parser.add_argument("--keep", type=int, default=0,
                                help=_("Then delete all but this many newest archives in the folder (0: delete none)"))
            parser.add_argument("--quiet", action="store_true", help=_("No progress output"))

    def handle(self, *args, output, keep, quiet, **options):
        say = backups.progress(quiet=quiet)

        with translation.override(settings.LANGUAGE_CODE):
            try:
                path = backups.backup_create(destination=output, say=say)
            except ApplicationError as error:
                raise CommandError(str(error.message)) from None
            for old in backups.backups_prune(folder=path.parent, keep=keep) if keep else []:
                say(_("deleted the older backup %(path)s") % {"path": old})
            self.stdout.write(str(path))
