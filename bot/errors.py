"""The one exception every feature raises for a problem the user can fix."""

from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix; str(exc) is shown to them as is."""


class NoModelError(UserError):
    """No model has been trained yet."""
