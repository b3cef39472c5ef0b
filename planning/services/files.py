"""Files beside the database: where they lie, uploaded names without their folders, no file left behind by a failure, a network's graph."""

from __future__ import annotations

import re
import uuid
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from core.errors import Conflict

from .. import network as net
from ..models import Network


def media_path(relative: str) -> Path:
    return Path(settings.MEDIA_ROOT) / relative


def _new_file(folder: str, suffix: str) -> str:
    return f"planning/{folder}/{uuid.uuid4().hex}{suffix}"


def file_name(name: str | None) -> str:
    """The name of an uploaded file without the folders it came from on the uploader's computer
    (``C:\\Users\\wang\\人口.csv`` or ``/home/wang/人口.csv`` → ``人口.csv``): a record keeps
    which file it came from, never where that file lay."""
    return re.split(r"[\\/]", name or "")[-1].strip()[:200]


@contextmanager
def _removed_on_failure(path: Path):
    """A file is written for rows saved in this block: if writing or saving fails (the commit
    too, when the block holds the transaction), the file goes, so no failure leaves one behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        yield path
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def network_graph(network: Network) -> net.Graph:
    if not network.is_ready:
        raise Conflict(_("The walking network %(name)s is not ready yet.") % {"name": network.name}, code="network_not_ready")
    path = media_path(network.file)
    if not path.exists():
        raise Conflict(_("The arrays file of the network %(name)s is missing; import it again.") % {"name": network.name},
                       code="network_file_missing")
    return net.load(path, network.sha256)
