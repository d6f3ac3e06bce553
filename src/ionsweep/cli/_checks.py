"""The ions named on the command line and the checks of per-ion values.

``--ion``/``--z`` resolved to canonical names and valences, per-ion lists checked for length
(or broadcast), and concentrations, ratios, positive values and results checked, each
raising :class:`~ionsweep.cli._common.CliError` that names the offending option.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ionsweep.cli._common import CliError

__all__ = [
    "check_concentrations",
    "check_finite_result",
    "check_positive",
    "check_ratio",
    "per_ion",
    "resolve_ions",
]


def resolve_ions(names: Sequence[str], z: Sequence[int] | None) -> tuple[list[str], list[int]]:
    """Canonical names and valences of the ions named by ``--ion``.

    Parameters
    ----------
    names : sequence of str
        Ion names or aliases as given to ``--ion``.
    z : sequence of int or None
        Valences from ``--z`` (one per ion), which override the table and make unknown
        names usable; None to take every valence from ``ionsweep.ions``.

    Returns
    -------
    names : list of str
        Canonical names (unknown names given a valence by ``--z`` are kept as typed).
    z : list of int
        Signed valences.

    Raises
    ------
    CliError
        Unknown ion without ``--z``, or a ``--z`` list of the wrong length.
    """
    from ionsweep import ions

    if z is not None and len(z) != len(names):
        raise CliError("--z", _count_message(len(z), names))
    canonical, valences = [], []
    for i, name in enumerate(names):
        try:
            ion = ions[name]
        except KeyError as exc:
            if z is None:
                head, _, known = str(exc.args[0]).partition(" (known: ")
                if "did you mean" in head or not known:
                    raise CliError("--ion", f"{head} (or give its valence with --z)") from None
                raise CliError(
                    "--ion", f"{head}; give its valence with --z, or use one of {known[:-1]}"
                ) from None
            canonical.append(name)
            valences.append(z[i])
            continue
        canonical.append(ion.name)
        valences.append(ion.z if z is None else z[i])
    return canonical, valences


def _count_message(count: int, names: Sequence[str]) -> str:
    n = len(names)
    values, ions = ("value" if count == 1 else "values"), ("ion" if n == 1 else "ions")
    return f"{count} {values} for {n} {ions} (--ion {','.join(names)})"


def per_ion(
    values: Sequence[float] | None,
    names: Sequence[str],
    argument: str,
    default: float | None = None,
) -> list[float]:
    """One value per ion: check the length of a list option, or broadcast a single value.

    A single value is broadcast to every ion only where a ``default`` exists (optional
    per-ion settings such as activity coefficients); required lists must match ``--ion``.
    """
    if values is None:
        if default is None:
            raise CliError(argument, "required")
        return [default] * len(names)
    if default is not None and len(values) == 1:
        return list(values) * len(names)
    if len(values) != len(names):
        raise CliError(argument, _count_message(len(values), names))
    return list(values)


def check_concentrations(
    values: Sequence[float], names: Sequence[str], argument: str, zero_reason: str | None = None
) -> None:
    """Refuse negative concentrations, and zero ones where ``zero_reason`` says why."""
    for name, value in zip(names, values, strict=True):
        if value < 0:
            raise CliError(
                argument, f"concentration of {name} is {value:g} mM; concentrations must be >= 0"
            )
        if value == 0 and zero_reason is not None:
            raise CliError(argument, f"concentration of {name} is 0 mM; {zero_reason}")


def check_ratio(
    c_in: Sequence[float], c_out: Sequence[float], names: Sequence[str], argument: str
) -> None:
    """Refuse concentrations whose ratio c_out/c_in over- or underflows float64."""
    for name, a, b in zip(names, c_in, c_out, strict=True):
        if a > 0 and b > 0 and not (0 < b / a < math.inf):
            raise CliError(
                argument,
                f"the ratio c_out/c_in = {b:g}/{a:g} of {name} is outside the float64 range "
                "(about 1e-308 to 1e308); no potential can be computed",
            )


def check_finite_result(result: Any, where: str = "result") -> None:
    """Refuse to print a result holding NaN or infinity (an overflow the checks missed)."""
    if isinstance(result, dict):
        for key, value in result.items():
            check_finite_result(value, key)
    elif isinstance(result, list | tuple):
        for value in result:
            check_finite_result(value, where)
    elif isinstance(result, float) and not math.isfinite(result):
        raise CliError(
            "inputs",
            f"{where} is {result} for these inputs: they are outside the range that float64 "
            "arithmetic can represent",
        )


def check_positive(values: Sequence[float], names: Sequence[str], argument: str, what: str) -> None:
    """Refuse values ≤ 0 (activity coefficients, ratios)."""
    for name, value in zip(names, values, strict=True):
        if value <= 0:
            raise CliError(argument, f"{what} of {name} is {value:g}; it must be > 0")
