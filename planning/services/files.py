"""The planning files — uploaded extracts, networks', demand sets' and scenarios' arrays — kept through
Django's storage API (local disk or an object store, ``MEDIA_STORAGE``): where they are written, uploaded
names without their folders, no file left behind by a failure, reading arrays back, a local copy for the
libraries that read only by path, a network's graph."""

from __future__ import annotations

import io
import logging
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext_lazy as _

from core.errors import Conflict

from .. import network as net
from ..models import Network

logger = logging.getLogger(__name__)


def _new_file(folder: str, suffix: str) -> str:
    return f"planning/{folder}/{uuid.uuid4().hex}{suffix}"


def file_name(name: str | None) -> str:
    """The name of an uploaded file without the folders it came from on the uploader's computer
    (``C:\\Users\\wang\\人口.csv`` or ``/home/wang/人口.csv`` → ``人口.csv``): a record keeps
    which file it came from, never where that file lay."""
    return re.split(r"[\\/]", name or "")[-1].strip()[:200]


def file_delete(name: str) -> None:
    """Remove a stored file; one already gone, or a storage that fails, is only logged."""
    try:
        default_storage.delete(name)
    except Exception:
        logger.warning("Could not delete the planning file %s", name, exc_info=True)


def arrays_bytes(**arrays) -> bytes:
    """Arrays as the bytes of a compressed ``.npz`` file."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


@contextmanager
def _removed_on_failure():
    """Files are stored for rows saved in this block: if storing or saving fails (the commit too,
    when the block holds the transaction), the files go, so no failure leaves one behind. Yields
    ``store(folder, suffix, content)``, which stores a file (or bytes) under a new name and returns it."""
    stored: list[str] = []

    def store(folder: str, suffix: str, content) -> str:
        if isinstance(content, bytes):
            content = ContentFile(content)
        name = default_storage.save(_new_file(folder, suffix), content)
        stored.append(name)
        return name

    try:
        yield store
    except BaseException:
        for name in stored:
            file_delete(name)
        raise


@contextmanager
def stored_arrays(name: str):
    """The arrays of a stored ``.npz`` file; ``FileNotFoundError`` if there is none."""
    with default_storage.open(name, "rb") as stream, np.load(stream, allow_pickle=False) as data:
        yield data


@contextmanager
def local_copy(name: str) -> Iterator[str]:
    """A path on this machine to a stored file, for the libraries that read only by path (pyrosm,
    osmium): the file itself on local disk; otherwise a temporary copy, removed after the block."""
    try:
        path = default_storage.path(name)
    except NotImplementedError:  # an object store
        path = None
    if path is not None:
        yield path
        return
    suffix = "".join(f".{part}" for part in name.rsplit("/", 1)[-1].split(".")[1:])
    with tempfile.NamedTemporaryFile(prefix="linli-planning-", suffix=suffix) as copy:
        with default_storage.open(name, "rb") as stream:
            shutil.copyfileobj(stream, copy, length=1024 * 1024)
        copy.flush()
        yield copy.name


def network_graph(network: Network) -> net.Graph:
    if not network.is_ready:
        raise Conflict(_("The walking network %(name)s is not ready yet.") % {"name": network.name}, code="network_not_ready")

    def read() -> net.Graph:
        try:
            with default_storage.open(network.file, "rb") as stream:
                return net.read(stream)
        except FileNotFoundError:
            raise Conflict(_("The arrays file of the network %(name)s is missing; import it again.") % {"name": network.name},
                           code="network_file_missing") from None

    return net.load(network.file, network.sha256, read)
