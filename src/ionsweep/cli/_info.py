"""``ionsweep info``: summarize a result store."""

from __future__ import annotations

from ionsweep.cli._common import CliError

__all__ = ["register"]


def _info(args) -> int:
    from ionsweep.store import StoreError, summary

    try:
        print(summary(args.store))
    except StoreError as exc:
        raise CliError("STORE", str(exc)) from None
    return 0


def register(subparsers) -> None:
    q = subparsers.add_parser(
        "info",
        help="summarize a result store",
        description="Dims, variables with units, provenance and completeness of a store.",
    )
    q.add_argument("store", metavar="STORE", help="store directory written by ionsweep run")
    q.set_defaults(handler=_info, cli_parser=q)
