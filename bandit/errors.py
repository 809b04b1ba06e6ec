"""Errors of the settings bandit. All derive from ``BanditError``."""

from __future__ import annotations


class BanditError(Exception):
    """Base of every error raised by ``bandit``."""


class SettingsSpaceError(BanditError, ValueError):
    """A settings space is malformed (names the dimension and the value)."""


class UnknownPolicyError(BanditError, ValueError):
    """No policy has that name (the message lists the known ones)."""


class PolicyParameterError(BanditError, ValueError):
    """A policy parameter is unknown or out of range."""


class UnknownArmError(BanditError, KeyError):
    """``update`` was given an arm the policy does not have."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


class PolicyStateError(BanditError, ValueError):
    """A saved policy state cannot be restored (names the missing or bad entry)."""


class RewardError(BanditError, ValueError):
    """A reward function is unknown, cannot be imported, or returned a bad value."""
