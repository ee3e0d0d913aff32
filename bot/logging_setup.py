"""Logging for the bot and console, with secrets redacted from every line.

The redaction runs on the fully formatted line (message, arguments and traceback), because a token
can arrive inside an exception text from a library as easily as from our own log calls. Besides the
configured secrets (the bot token), interaction tokens are redacted by shape: discord.py's DEBUG
logs show them in webhook/callback URLs and in the raw INTERACTION_CREATE payloads, and each one
lets its holder answer as the bot for 15 minutes.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable

REDACTED = "[REDACTED]"


class RedactingFormatter(logging.Formatter):
    """A formatter that replaces each configured secret with [REDACTED]."""

    def __init__(self, fmt: str, secrets: Iterable[str] = ()) -> None:
        super().__init__(fmt)
        self.secrets = [s for s in secrets if s and len(s) >= 4]

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return redact(text, self.secrets)


# /interactions/<id>/<token>/callback and /webhooks/<application id>/<token>/..., and "token": "..."
# (or 'token': '...') in logged payloads.
_INTERACTION_TOKENS = re.compile(
    r"(?P<keep>/(?:interactions|webhooks)/\d+/)[^/\s?'\"]+"
    r"|(?P<key>['\"]token['\"]\s*:\s*['\"])[^'\"]+"
)


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret and secret in text:
            text = text.replace(secret, REDACTED)
    return _INTERACTION_TOKENS.sub(lambda m: (m["keep"] or m["key"]) + REDACTED, text)


def configure_logging(level: str = "INFO", secrets: Iterable[str] = (), stream=None) -> logging.Handler:
    """Route all logging (ours and discord.py's) to one redacting stderr handler."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", secrets)
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(getattr(logging, level.upper(), logging.INFO))
    logging.getLogger("alembic").setLevel(logging.WARNING)  # one line per migration step is noise
    logging.getLogger("faiss.loader").setLevel(logging.WARNING)  # six lines about CPU instruction sets at import
    return handler
