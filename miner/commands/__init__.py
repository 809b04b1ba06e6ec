"""Subcommands of the alphaminer CLI: each module exposes register(subparsers)."""
