"""``ionsweep examples``: list the bundled specs and notebooks, or copy them to a folder.

Also :func:`resolve_spec`, with which ``ionsweep run`` and ``ionsweep sensitivity`` take a
bundled spec's name (``quickstart``) where no file of that name exists.
"""

from __future__ import annotations

from pathlib import Path

from ionsweep.cli._common import CliError

__all__ = ["register", "resolve_spec"]

EPILOG = """\
examples:
  ionsweep examples                      # what is bundled, one line each
  ionsweep run quickstart                # a bundled spec, by name: writes quickstart.zarr
  ionsweep examples --copy my_examples   # my_examples/sweeps/*.toml, my_examples/notebooks/*.ipynb

A spec file of the same name in the current directory is used before the bundled one.
"""

#: The command that takes each kind of example, as the listing shows it.
_HOW = {
    "sweep": "ionsweep run NAME",
    "sensitivity": "ionsweep sensitivity NAME",
    "notebook": "copy them (--copy DIR), then open DIR/notebooks/NAME.ipynb in Jupyter",
}


def resolve_spec(spec: str) -> str:
    """The spec file a command reads: ``spec`` itself if it exists, else the bundled spec of
    that name; a bare name that is neither is refused, listing the bundled specs.

    Parameters
    ----------
    spec : str
        The SPEC argument: a path, or a bundled spec's name with or without ``.toml``.

    Returns
    -------
    str
        A path to read (a missing path with a folder in it is returned unchanged, for the
        spec loader to report).
    """
    from ionsweep import examples

    if Path(spec).exists():
        return spec
    try:
        found = examples.find_spec(spec)
    except FileNotFoundError:
        return spec
    if found is not None:
        return str(found)
    if Path(spec).name != spec:
        return spec
    names = ", ".join(e.name for e in examples.list_examples() if e.kind != "notebook")
    raise CliError(
        "SPEC",
        f"{spec}: cannot read spec: no such file, nor a bundled example of that name "
        f"(bundled: {names}; 'ionsweep examples' describes them)",
    )


def _list() -> int:
    from ionsweep import examples

    found = examples.list_examples()
    width = max(len(e.name) for e in found)
    print(f"bundled examples ({examples.examples_root()}):")
    for kind, how in _HOW.items():
        group = [e for e in found if e.kind == kind]
        if group:
            print(f"\n{kind}: {how}")
            for e in group:
                print(f"  {e.name:<{width}}  {e.description}")
    return 0


def _copy(dest: str, force: bool) -> int:
    from ionsweep import examples

    try:
        written = examples.copy_examples(dest, force=force)
    except FileExistsError as exc:
        raise CliError("--copy", f"{exc}; use --force to replace the files") from None
    specs = sum(p.suffix == ".toml" for p in written)
    notebooks = sum(p.suffix == ".ipynb" for p in written)
    print(
        f"copied {specs} specs to {Path(dest, 'sweeps')} and {notebooks} notebooks to "
        f"{Path(dest, 'notebooks')}"
    )
    print(f"run one with: ionsweep run {Path(dest, 'sweeps', 'quickstart.toml')}")
    return 0


def _examples(args) -> int:
    try:
        if args.copy is None:
            if args.force:
                raise CliError("--force", "goes with --copy DIR")
            return _list()
        return _copy(args.copy, args.force)
    except FileNotFoundError as exc:
        if exc.filename is not None:
            raise
        raise CliError("examples", str(exc)) from None


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "examples",
        help="list the bundled example specs and notebooks, or copy them to a folder",
        description="List the example sweep specs and Jupyter notebooks that come with "
        "ionsweep (name and one line each), or copy them to a folder to edit. A bundled "
        "spec runs by its name: ionsweep run quickstart.",
        epilog=EPILOG,
    )
    p.add_argument(
        "--copy",
        metavar="DIR",
        help="copy the specs to DIR/sweeps and the notebooks to DIR/notebooks",
    )
    p.add_argument("--force", action="store_true", help="with --copy: replace existing files")
    p.set_defaults(handler=_examples, cli_parser=p)
