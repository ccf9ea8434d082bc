"""Exceptions the CLI turns into clear messages and exit statuses."""


class WirewatchError(Exception):
    """Base class: the message is meant for the user, no traceback."""

    exit_status = 1


class UsageError(WirewatchError):
    """Bad input from the user (arguments, config, queries): exit status 2."""

    exit_status = 2


class ConfigError(UsageError):
    """An invalid configuration file; the message names file, source and field."""
