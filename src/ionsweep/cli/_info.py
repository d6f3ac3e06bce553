"""``ionsweep info``: summarize a result store; ``--verify`` reads every chunk of it."""

from __future__ import annotations

from pathlib import Path

from ionsweep.cli._common import CliError

__all__ = ["register"]

INFO_EPILOG = """\
exit status:
  0  the summary was printed (with --verify: every chunk read back intact)
  1  with --verify: the store is damaged (missing or corrupt chunks or metadata, listed
     on stdout)
  2  bad input: STORE is no ionsweep store, or (without --verify) its metadata cannot be read

examples:
  ionsweep info quickstart.zarr
  ionsweep info --verify big.zarr          # read every chunk, check its crc32c checksum
  ionsweep run big.toml --out big.zarr --resume --repair   # recompute what --verify found
"""


def _repair_hint(store) -> str:
    """How to recompute what is lost: a sweep store resumes; others are written again."""
    from ionsweep.store import StoreError
    from ionsweep.store._zarr import read_attrs

    try:
        attrs = read_attrs(store)
    except StoreError:
        attrs = {}
    spec = str(attrs.get("ionsweep_spec_source") or "SPEC")
    if "ionsweep_identity" not in attrs:  # written whole (a sensitivity analysis)
        return f"it was written in one piece: write it again from {spec} with --overwrite"
    return (
        f"`ionsweep run {spec} --out {store} --resume --repair` recomputes what is lost "
        f"({spec}: the spec the store was written from)"
    )


def _info(args) -> int:
    from ionsweep.store import StoreError, summary
    from ionsweep.store._verify import scan

    if args.verify:
        return _verify(args.store)
    try:
        damages = scan(args.store) if Path(args.store).is_dir() else []
        print(summary(args.store, damages=damages))
    except StoreError as exc:
        raise CliError("STORE", str(exc)) from None
    if damages:
        print(
            f"`ionsweep info --verify {args.store}` reads every chunk back; "
            + _repair_hint(args.store)
        )
    return 0


def _verify(store) -> int:
    """Read every chunk of ``store``: 0 if all are there and intact, else 1 (listed)."""
    from ionsweep.store import StoreError
    from ionsweep.store._verify import scan
    from ionsweep.store._zarr import MANIFEST_DIR, store_kind

    try:
        kind = store_kind(store)
    except StoreError as exc:  # an ionsweep store (it has a manifest) with corrupt metadata
        if not Path(store, MANIFEST_DIR, "done").is_dir():
            raise CliError("STORE", str(exc)) from None
        print(f"verify {store}: damaged: {exc}")
        return 1
    if kind != "ionsweep":
        raise CliError(
            "STORE", f"{store} is not an ionsweep store (no ionsweep zarr.json and manifest)"
        )
    damages = scan(store, read=True)
    if not damages:
        print(f"verify {store}: every chunk of every array read back intact")
        return 0
    print(f"verify {store}: damaged: {len(damages)} piece(s) missing or corrupt")
    for d in damages:
        print(f"  {d.line()}")
    print(_repair_hint(store))
    return 1


def register(subparsers) -> None:
    q = subparsers.add_parser(
        "info",
        help="summarize a result store (--verify: check every chunk)",
        description="Dims, variables with units, provenance and completeness of a store. A "
        "store is complete only when every chunk file its manifest lists exists; --verify "
        "also reads every chunk back through its checksum.",
        epilog=INFO_EPILOG,
    )
    q.add_argument("store", metavar="STORE", help="store directory written by ionsweep run")
    q.add_argument(
        "--verify",
        action="store_true",
        help="read every chunk of every array; list missing or corrupt chunks (variable, "
        "chunk index, index ranges) and exit 1 if there are any",
    )
    q.set_defaults(handler=_info, cli_parser=q)
