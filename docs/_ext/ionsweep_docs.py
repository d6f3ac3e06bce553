"""Sphinx directives that write reference pages from the package itself.

* ``spec-keys TABLE``: the keys of one spec table (:mod:`spec_keys`), checked against the
  parsers; a difference is a build warning (an error under ``-W``).
* ``spec-statistics``: the statistics ``[reduce] stats`` accepts (``ionsweep._stats``).
* ``spec-models``: every registered sweep model with its options, inputs and outputs.
* ``ionsweep-api MODULE``: a module's public names (``__all__``), each documented once
  (autodoc + numpydoc) on the page of the first module that exports it; the other pages
  list it with a link there.
"""

from __future__ import annotations

import importlib
import inspect
import re
import sys

import spec_keys
from docutils.parsers.rst import directives
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

#: The modules of the API reference, in page order: an object exported by several is
#: documented on the first one's page. The top-level ``ionsweep`` comes last.
API_MODULES = (
    "ionsweep.physics",
    "ionsweep.activity",
    "ionsweep.constants",
    "ionsweep.sweep",
    "ionsweep.store",
    "ionsweep.models",
    "ionsweep.analysis",
    "ionsweep.sensitivity",
    "ionsweep.plot",
    "ionsweep.explorer",
    "ionsweep",
)

#: What each sweep model option means; a model option missing here is a build warning.
MODEL_OPTIONS = {
    "ions": "The ions of the composition (each gets `<ion>_in`/`<ion>_out` or `<ion>_bath` "
    "inputs).",
    "report": "The ions whose potentials are output (default: every ion).",
    "balance": "The ion set by electroneutrality on each side (no input of its own).",
    "fill": "The ion set by the ionic-strength inputs `I_in`/`I_out` (M).",
    "permeant": "The ions of the GHK voltage equation (none by default: no GHK output).",
    "models": "The activity models the `activity_model` input may take (Pitzer sets as "
    "`pitzer:<set>`).",
    "reference": 'The model ΔE is measured from (default `"ideal"`).',
    "databases": "Pitzer parameter sets by name (a spec's `[activity.databases]` fills it).",
    "z_impermeant": "Valence of the impermeant species: its concentration is "
    "`fixed_charge / z_impermeant` (else the input `c_impermeant` is required).",
    "pipette": "The ions of the pipette solution.",
    "bath": "The ions of the bath solution.",
    "pipette_balance": "The pipette ion set by electroneutrality.",
    "bath_balance": "The bath ion set by electroneutrality.",
    "method": '`"nernst-planck"` (default) or `"henderson"`.',
    "mobility_factors": "`true` adds an input `u_<ion>`, a factor on each ion's mobility.",
}

_CODE = re.compile(r"(?<!`)`([^`]+)`(?!`)")


def _rst(text: str) -> str:
    """Markdown-style inline code (`x`) as reST literals (``x``); bars as text."""
    return _CODE.sub(r"``\1``", text.replace("|", "\\|"))


def _list_table(header: tuple[str, ...], rows: list[tuple[str, ...]], widths: str) -> list[str]:
    """A reST list-table."""
    lines = [".. list-table::", "   :header-rows: 1", f"   :widths: {widths}", ""]
    for row in [header, *rows]:
        lines.append(f"   * - {row[0]}")
        lines += [f"     - {cell}" for cell in row[1:]]
    return lines + [""]


class SpecKeys(SphinxDirective):
    """The keys of one spec table, with their meaning."""

    required_arguments = 1

    def run(self):
        table = self.arguments[0]
        env = self.env
        if not hasattr(env, "ionsweep_spec_problems"):
            env.ionsweep_spec_problems = spec_keys.problems()
            for problem in env.ionsweep_spec_problems:
                logger.warning(f"spec reference: {problem}", location=self.get_location())
        if table not in spec_keys.TABLES:
            logger.warning(f"spec-keys: no table {table!r}", location=self.get_location())
            return []
        _, described = spec_keys.TABLES[table]
        rows = [(f"``{k}``", _rst(v)) for k, v in described.items()]
        return self.parse_text_to_nodes("\n".join(_list_table(("key", "meaning"), rows, "1 4")))


class SpecStatistics(SphinxDirective):
    """The statistics ``[reduce] stats`` accepts, with their labels."""

    def run(self):
        from ionsweep._stats import STATISTICS

        rows = [(f"``{name}``", s.label) for name, s in STATISTICS.items()]
        text = "\n".join(_list_table(("statistic", "label (explorer, plots)"), rows, "1 3"))
        return self.parse_text_to_nodes(text)


def _toml(value) -> str:
    """A default value as a spec writes it (TOML)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return repr(value)


def _model_section(name: str) -> list[str]:
    """The reST of one registered model: summary, options, inputs and outputs."""
    from ionsweep.models import _registry, get_model

    factory = _registry._FACTORIES[name]
    doc = inspect.getdoc(factory) or ""
    summary = doc.split("\n\n")[0].replace("\n", " ")
    lines = [name, "~" * len(name), "", summary, ""]
    options = [p for p in inspect.signature(factory).parameters.values()]
    if options:
        rows = []
        for p in options:
            if p.name not in MODEL_OPTIONS:
                logger.warning(f"spec reference: model option {name}.{p.name} is not described")
            default = "" if p.default is None else f"``{_toml(p.default)}``"
            rows.append((f"``{p.name}``", default, _rst(MODEL_OPTIONS.get(p.name, ""))))
        lines += ["Options (``[model]`` keys besides ``name``):", ""]
        lines += _list_table(("option", "default", "meaning"), rows, "2 3 5")
    model = get_model(name)
    rows = [
        (
            f"``{i.name}``",
            i.units,
            "required" if i.default is None else f"{i.default:g}",
            i.domain,
            i.long_name + (f" (names: {i.labels})" if i.labels else ""),
        )
        for i in model.inputs
    ]
    lines += ["Inputs (``[axes]`` / ``[fixed]`` keys) with the default options:", ""]
    lines += _list_table(("input", "units", "default", "domain", "meaning"), rows, "2 1 1 2 4")
    rows = [(f"``{o.name}``", o.units, o.long_name) for o in model.outputs]
    lines += ["Outputs:", ""]
    return lines + _list_table(("output", "units", "meaning"), rows, "2 1 5")


class SpecModels(SphinxDirective):
    """Every registered sweep model."""

    def run(self):
        from ionsweep.models import model_names

        lines: list[str] = []
        for name in sorted(model_names()):
            lines += _model_section(name)
        return self.parse_text_to_nodes("\n".join(lines), allow_section_headings=True)


def _homes() -> dict[tuple[str, int], str]:
    """(name, id of object) → the module whose page documents it."""
    homes: dict[tuple[str, int], str] = {}
    for mod_name in API_MODULES:
        mod = importlib.import_module(mod_name)
        for name in mod.__all__:
            homes.setdefault((name, id(getattr(mod, name))), mod_name)
    return homes


def _is_data(obj) -> bool:
    return not (inspect.isclass(obj) or callable(obj) or inspect.ismodule(obj))


def _data_comment(mod_name: str, name: str, obj) -> str:
    """The ``#:`` comment documenting constant ``name`` where it is defined: in
    ``mod_name`` or in one of its submodules holding the same object."""
    from sphinx.pycode import ModuleAnalyzer

    for other in sorted(sys.modules):
        if other != mod_name and not other.startswith(mod_name + "."):
            continue
        if getattr(sys.modules[other], name, None) is not obj:
            continue
        try:
            docs = ModuleAnalyzer.for_module(other).find_attr_docs()
        except Exception:  # no source (a built-in or compiled module)
            continue
        if ("", name) in docs:
            return " ".join(line.strip() for line in docs[("", name)] if line.strip())
    return ""


def _autodoc(mod_name: str, name: str, obj) -> list[str]:
    """The directive that documents ``obj`` as ``mod_name.name``."""
    full = f"{mod_name}.{name}"
    if inspect.isclass(obj):
        kind = "autoexception" if issubclass(obj, BaseException) else "autoclass"
        return [f".. {kind}:: {full}", "   :members:", ""]
    if callable(obj):
        return [f".. autofunction:: {full}", ""]
    value = repr(obj) if len(repr(obj)) <= 80 else ""
    lines = [f".. py:data:: {full}"] + ([f"   :value: {value}"] if value else []) + [""]
    comment = _data_comment(mod_name, name, obj)
    return lines + ([f"   {_escape_bars(comment)}", ""] if comment else [])


class IonsweepApi(SphinxDirective):
    """The public names of one module: a summary table of its functions and classes, then
    each name documented here (constants included)."""

    required_arguments = 1
    option_spec = {"exclude": directives.unchanged}

    def run(self):
        mod_name = self.arguments[0]
        mod = importlib.import_module(mod_name)
        excluded = set((self.options.get("exclude") or "").split())
        homes = _homes()
        names = [n for n in mod.__all__ if not inspect.ismodule(getattr(mod, n))]
        current = "None" if mod_name == "ionsweep" else mod_name  # top level: full names
        lines = [f".. currentmodule:: {current}", "", ".. autosummary::", ""]
        here, constants = [], []
        for name in names:
            obj = getattr(mod, name)
            home = homes[(name, id(obj))]
            short = home == mod_name and current != "None"
            if _is_data(obj):
                constants.append(f":py:data:`~{home}.{name}`")
            else:
                lines.append(f"   {name}" if short else f"   ~{home}.{name}")
            if home == mod_name and name not in excluded:
                here.append((name, obj))
        lines.append("")
        if constants:
            lines += ["Constants: " + ", ".join(constants) + ".", ""]
        for name, obj in here:
            lines += _autodoc(mod_name, name, obj)
        return self.parse_text_to_nodes("\n".join(lines))


_LITERAL = re.compile(r"(``.*?``)")


def _bars_as_text(app, what, name, obj, options, lines) -> None:
    """Vertical bars in docstrings are absolute values (``|ΔE| > 5 mV``), never reST
    substitutions: escape them outside inline literals, literal blocks and doctests."""
    literal_indent = None  # indent of the line that opened a literal block
    doctest = False
    for k, line in enumerate(lines):
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if literal_indent is not None:
            if not stripped or indent > literal_indent:
                continue
            literal_indent = None
        doctest = stripped.startswith(">>>") or (doctest and bool(stripped))
        if doctest:
            continue
        lines[k] = _escape_bars(line)
        literal = stripped.endswith("::") and not stripped.startswith(".. ")
        if literal or re.match(r"\.\. (math|code|code-block|highlight)::", stripped):
            literal_indent = indent


def _escape_bars(line: str) -> str:
    """``line`` with its bars outside inline literals escaped."""
    parts = _LITERAL.split(line)
    return "".join(p if p.startswith("``") else p.replace("|", "\\|") for p in parts)


def setup(app):
    app.connect("autodoc-process-docstring", _bars_as_text)
    app.add_directive("spec-keys", SpecKeys)
    app.add_directive("spec-statistics", SpecStatistics)
    app.add_directive("spec-models", SpecModels)
    app.add_directive("ionsweep-api", IonsweepApi)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
