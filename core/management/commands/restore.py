"""`linli restore ARCHIVE`: put a backup made by `linli backup` in place of the configured database
and uploaded files.

    linli restore var/backups/linli-backup-20260501-030000.tar.gz
    linli restore --replace FILE      the database holds data: replace all of it

Stop the app servers, the task worker and the clock first. Nothing changes when the archive is
missing or damaged, was made from another kind of database or by a newer Linli, or when the
database holds data and --replace is not given. What is checked and how: ``core.backups``.
"""

import unicodedata
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import backups
from core.errors import ApplicationError


def _padded(text: str, width: int) -> str:
    """``text`` padded to ``width`` columns of a terminal, where a Chinese character takes two."""
    columns = sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)
    return text + " " * max(0, width - columns)


HELP = gettext_lazy("Restore a backup made by `linli backup`: the database and the uploaded files.")


class Command(BaseCommand):
    help = HELP

    def add_arguments(self, parser):
        with translation.override(settings.LANGUAGE_CODE):
            parser.description = str(HELP)
            parser.add_argument("archive", type=Path, help=_("The backup archive (*.tar.gz)"))
            parser.add_argument("--replace", "--force", action="store_true", dest="replace",
                                help=_("Replace the database even though it holds data"))
            parser.add_argument("--quiet", action="store_true", help=_("No progress output"))

    def handle(self, *args, archive, replace, quiet, **options):
        say = backups.progress(quiet=quiet)

        with translation.override(settings.LANGUAGE_CODE):
            try:
                restored = backups.backup_restore(archive=archive, replace=replace, say=say)
            except ApplicationError as error:
                raise CommandError(str(error.message)) from None
            self.stdout.write(self.style.SUCCESS(_("Restored the backup of %(time)s:") % {"time": restored.manifest["created_at"]}))
            rows = [(backups.model_plural(label), number) for label, number in restored.counts.items()]
            rows.append((_("uploaded files"), restored.files + restored.files_unchanged))
            for name, number in rows:
                self.stdout.write(f"  {_padded(name, 24)} {number:>10,}")
            if restored.files_unchanged:
                self.stdout.write("  " + _("(%(count)s of the uploaded files were in place already)")
                                  % {"count": f"{restored.files_unchanged:,}"})
            if restored.pending_migrations:
                self.stdout.write(self.style.WARNING(
                    _("The backup is older than this version of Linli: run `linli migrate` to apply %(count)s migrations "
                      "(%(first)s …).") % {"count": len(restored.pending_migrations), "first": restored.pending_migrations[0]}))
