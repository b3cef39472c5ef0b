"""Sending text messages (verification codes) through a pluggable backend.

``SMS_BACKEND`` names the class. The console backend prints the message, which is what
development and the demo use; a deployment writes a backend for its SMS gateway with the same
``send(phone, text)`` method.
"""

import logging
import sys

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class ConsoleBackend:
    """Prints each message to standard output."""

    def send(self, phone: str, text: str) -> None:
        sys.stdout.write(f"[SMS to {phone}] {text}\n")
        sys.stdout.flush()


class MemoryBackend:
    """Keeps messages in ``MemoryBackend.outbox`` (for tests)."""

    outbox: list[tuple[str, str]] = []

    def send(self, phone: str, text: str) -> None:
        MemoryBackend.outbox.append((phone, text))


def send_sms(phone: str, text: str) -> None:
    backend = import_string(settings.SMS_BACKEND)()
    backend.send(phone, text)
