"""Reading the PITZER block of a PHREEQC-format database into a :class:`PitzerParameters`.

Keywords read (PHREEQC 3, Parkhurst & Appelo 2013, *USGS Techniques and Methods* 6-A43,
keyword PITZER): ``-B0 -B1 -B2 -C0`` (cation–anion β⁽⁰⁾, β⁽¹⁾, β⁽²⁾, C^φ), ``-THETA``,
``-PSI``, ``-ALPHAS`` (α₁, α₂ of one pair), ``-LAMDA``/``-LAMBDA``, ``-ZETA``, ``-MU``,
``-ETA`` (terms with neutral species), ``-MacInnes`` (true/false), ``-use_etheta``,
``-APHI`` and ``-redox``. Each data line is the species followed by up to six coefficients
A0…A5 of PHREEQC's temperature function (T_r = 298.15 K)::

    P(T) = A0 + A1 (1/T − 1/T_r) + A2 ln(T/T_r) + A3 (T − T_r) + A4 (T² − T_r²)
           + A5 (1/T² − 1/T_r²)

(PHREEQC ``calc_pitz_param``). PHREEQC species names map to ionsweep's (``Ca+2`` → ``Ca2+``,
``SO4-2`` → ``SO4 2-``). α's default to PHREEQC's: 2 and 12, 1.4 and 12 for 2–2 pairs.

What ionsweep does not reproduce: it does no speciation. Species of the file that are not
ions of ionsweep's table — complexes and ion pairs (``MgOH+``, ``CaB(OH)4+``), borate and
neutral species (``CO2``, ``B(OH)3``, ``H4SiO4``) — are read, listed in
``PitzerParameters.ignored`` and not used; so ``-LAMDA``, ``-ZETA``, ``-MU`` and ``-ETA``
(which involve neutral species) never enter ionsweep's results. Where PHREEQC would form
complexes of the modelled ions (HSO₄⁻ from H⁺ and SO₄²⁻, MgOH⁺, CO₃²⁻/HCO₃⁻/CO₂), its
activity coefficients differ from ionsweep's, which treats the given ions as free.

Refused, with the line number: an unknown option, a number that does not parse, a data line
with too many or no coefficients, a species neither in ionsweep's ion table nor defined in
the file's SOLUTION_SPECIES / SOLUTION_MASTER_SPECIES, an anion–anion ``-B0`` or a ``-LAMDA``
between two modelled ions (a term ionsweep does not implement).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ionsweep._ions import ions as ion_table
from ionsweep.activity._pitzer_params import (
    Binary,
    K,
    Mixing,
    PitzerParameters,
    _default_alphas,
    build_parameters,
    phreeqc_row,
)

__all__ = ["read_phreeqc_pitzer"]

_OPTIONS = {
    "b0": ("B0", 2), "b1": ("B1", 2), "b2": ("B2", 2), "c0": ("C0", 2), "theta": ("THETA", 2),
    "lamda": ("LAMDA", 2), "lambda": ("LAMDA", 2), "zeta": ("ZETA", 3), "psi": ("PSI", 3),
    "alphas": ("ALPHAS", 2), "mu": ("MU", 3), "eta": ("ETA", 3), "aphi": ("APHI", 0),
    "macinnes": ("MACINNES", None), "macinnis": ("MACINNES", None), "mac": ("MACINNES", None),
    "use_etheta": ("ETHETA", None), "etheta": ("ETHETA", None), "redox": ("REDOX", None),
    "pe": ("REDOX", None),
}  # fmt: skip
_KEYWORDS = {
    "SOLUTION_MASTER_SPECIES", "SOLUTION_SPECIES", "PHASES", "EXCHANGE_MASTER_SPECIES",
    "EXCHANGE_SPECIES", "SURFACE_MASTER_SPECIES", "SURFACE_SPECIES", "RATES", "END", "SIT",
    "PITZER", "SOLUTION", "LLNL_AQUEOUS_MODEL_PARAMETERS", "NAMED_EXPRESSIONS",
    "CALCULATE_VALUES", "ISOTOPES", "ISOTOPE_RATIOS", "ISOTOPE_ALPHAS", "KNOBS", "TITLE",
    "SELECTED_OUTPUT", "USER_PUNCH", "USER_PRINT", "GAS_PHASE", "EQUILIBRIUM_PHASES",
    "KINETICS", "REACTION", "MIX", "USE", "SAVE", "PRINT", "INCREMENTAL_REACTIONS",
    "DATABASE", "SOLID_SOLUTIONS", "SOLUTION_SPREAD", "TRANSPORT", "ADVECTION",
}  # fmt: skip
_SPECIES = re.compile(r"^(?P<base>[A-Za-z][A-Za-z0-9()._:]*?)(?P<sign>[+-])(?P<n>\d*)$")
T_RANGE_DEFAULT = (273.15, 473.15)


class _Error(ValueError):
    pass


def _fail(path, lineno, msg):
    raise _Error(f"{path}, line {lineno}: {msg}")


def _strip(line: str) -> str:
    return line.split("#", 1)[0].strip()


def _is_keyword(line: str) -> bool:
    tok = line.split()
    return bool(tok) and not line[:1].isspace() and tok[0].upper() in _KEYWORDS


def _defined_species(lines) -> set[str]:
    """Every species name appearing in SOLUTION_SPECIES reactions or SOLUTION_MASTER_SPECIES."""
    out, block = set(), None
    for raw in lines:
        line = _strip(raw)
        if not line:
            continue
        if _is_keyword(raw):
            block = raw.split()[0].upper()
            continue
        if block == "SOLUTION_SPECIES" and "=" in line and not line.startswith("-"):
            for side in line.split("="):
                for term in side.split(" + "):
                    tok = term.split()
                    if tok:
                        out.add(re.sub(r"^[0-9.]+", "", tok[-1]) or tok[-1])
        elif block == "SOLUTION_MASTER_SPECIES" and not line.startswith("-"):
            tok = line.split()
            if len(tok) > 1:
                out.add(tok[1])
    return out


def phreeqc_species(name: str) -> str | None:
    """ionsweep's canonical name of a PHREEQC species, or None if ionsweep has no such ion.

    >>> phreeqc_species("Ca+2"), phreeqc_species("SO4-2"), phreeqc_species("MgOH+")
    ('Ca2+', 'SO4 2-', None)
    """
    m = _SPECIES.match(name)
    if m is None:
        return None
    n = int(m["n"] or 1)
    z = n if m["sign"] == "+" else -n
    for cand in (f"{m['base']}{n if n > 1 else ''}{m['sign']}", name):
        try:
            canon = ion_table.canonical(cand)
        except KeyError:
            continue
        if int(ion_table.valence(canon)) == z:
            return canon
    return None


def _numbers(path, lineno, toks, what):
    if not toks:
        _fail(path, lineno, f"{what} has no coefficient")
    if len(toks) > 6:
        _fail(path, lineno, f"{what} has {len(toks)} coefficients; PHREEQC's function has 6")
    try:
        return [float(t) for t in toks]
    except ValueError:
        bad = next(t for t in toks if not _is_float(t))
        _fail(path, lineno, f"{what}: {bad!r} is not a number")


def _is_float(t):
    try:
        float(t)
    except ValueError:
        return False
    return True


def _pitzer_lines(lines, path):
    start = next((k for k, raw in enumerate(lines) if _is_keyword(raw)
                  and raw.split()[0].upper() == "PITZER"), None)  # fmt: skip
    if start is None:
        raise ValueError(f"{path}: no PITZER block")
    for k in range(start + 1, len(lines)):
        if _is_keyword(lines[k]):
            return
        yield k + 1, lines[k]


def read_phreeqc_pitzer(
    path, name: str | None = None, *, t_range=T_RANGE_DEFAULT
) -> PitzerParameters:
    """Read the PITZER block of a PHREEQC-format database file.

    Parameters
    ----------
    path : str or path-like
        The database (e.g. PHREEQC's ``pitzer.dat``).
    name : str, optional
        Name of the set (default: the file's stem).
    t_range : (float, float), optional
        Temperature range, K, stated for entries with temperature coefficients (PHREEQC
        files carry none; 0–200 °C is what ``pitzer.dat`` states in its header). Entries
        without temperature coefficients are taken as stated at 25 °C only.

    Returns
    -------
    PitzerParameters
        ``macinnes`` records the file's ``-MacInnes`` setting (PHREEQC's default: true);
        ``ignored`` lists the species not modelled by ionsweep (see the module docstring).

    Raises
    ------
    ValueError
        Naming the file and line, for anything the module docstring lists as refused.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> text = ("PITZER\\n-B0\\n  Na+  Cl-  0.0765\\n-B1\\n  Na+ Cl- 0.2664\\n"
    ...         "-C0\\n Na+ Cl- 0.00127\\n")
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = pathlib.Path(d) / "nacl.dat"
    ...     _ = p.write_text(text)
    ...     s = read_phreeqc_pitzer(p)
    >>> [round(float(x), 5) for x in s.binary_value("Na+", "Cl-", 298.15)]
    [0.0765, 0.2664, 0.0, 0.00127]
    """
    path = Path(path)
    lines = path.read_text(encoding="latin-1").splitlines()
    known = _defined_species(lines)
    rows: dict[tuple, dict[str, np.ndarray]] = {}
    tdep: dict[tuple, bool] = {}
    alphas, theta, psi = {}, {}, {}
    ignored: dict[str, None] = {}
    aphi_row, macinnes, option = None, True, None
    for lineno, raw in _pitzer_lines(lines, path):
        line = _strip(raw)
        if not line:
            continue
        if line.startswith("-"):
            opt, *rest = line[1:].split()
            key = _OPTIONS.get(opt.lower())
            if key is None:
                _fail(path, lineno, f"unknown PITZER option {line.split()[0]!r}")
            option = key
            if key[1] is None:
                value = (rest[0].lower() if rest else "true")
                if value not in ("true", "false", "t", "f"):
                    _fail(path, lineno, f"-{opt} takes true or false, got {rest[0]!r}")
                if key[0] == "MACINNES":
                    macinnes = value.startswith("t")
                elif key[0] == "ETHETA" and not value.startswith("t"):
                    _fail(path, lineno, "-use_etheta false: ionsweep always includes Eθ")
                option = None
            continue
        if option is None:
            _fail(path, lineno, f"data line outside a PITZER option: {line!r}")
        kind, n = option
        toks = line.split()
        species, numbers = toks[:n], toks[n:]
        if len(species) < n or any(_is_float(s) for s in species):
            _fail(path, lineno, f"-{kind} needs {n} species before its coefficients")
        coef = _numbers(path, lineno, numbers, f"-{kind} {' '.join(species)}")
        if kind == "APHI":
            aphi_row = phreeqc_row(*coef)
            continue
        mapped = []
        for s in species:
            canon = phreeqc_species(s)
            if canon is None and s not in known:
                _fail(path, lineno, f"unknown species {s!r}: not an ion ionsweep models and not "
                      "defined in the file's SOLUTION_SPECIES")  # fmt: skip
            if canon is None:
                ignored[s] = None
            mapped.append(canon)
        if any(c is None for c in mapped):
            continue  # a term with a species ionsweep does not model
        z = [int(ion_table.valence(c)) for c in mapped]
        if kind in ("LAMDA", "ZETA", "MU", "ETA"):
            _fail(path, lineno, f"-{kind} between ions {mapped}: ionsweep has no such term")
        if kind in ("B0", "B1", "B2", "C0", "ALPHAS"):
            if z[0] * z[1] >= 0:
                _fail(path, lineno, f"-{kind} needs a cation and an anion, got {species}")
            pair = tuple(sorted(mapped, key=lambda c: -ion_table.valence(c)))
            if kind == "ALPHAS":
                alphas[pair] = coef + [12.0] * (2 - len(coef))
                continue
            entry = rows.setdefault(pair, {})
            entry[kind] = phreeqc_row(*coef)
            tdep[pair] = tdep.get(pair, False) or any(c != 0 for c in coef[1:])
        elif kind == "THETA":
            if z[0] * z[1] <= 0:
                _fail(path, lineno, f"-THETA needs two ions of one sign, got {species}")
            theta[frozenset(mapped)] = Mixing(phreeqc_row(*coef), path.name, t_range)
        else:  # PSI: two of one sign, one of the other, in any order
            signs = [np.sign(v) for v in z]
            odd = [k for k in range(3) if signs.count(signs[k]) == 1]
            if len(odd) != 1 or len(set(mapped)) != 3:
                _fail(path, lineno, f"-PSI needs two ions of one sign and one of the other, "
                      f"got {species}")  # fmt: skip
            k = odd[0]
            pair = frozenset(m for i, m in enumerate(mapped) if i != k)
            psi[(pair, mapped[k])] = Mixing(phreeqc_row(*coef), path.name, t_range)
    binary = {}
    zero = np.zeros(K)
    for pair, entry in rows.items():
        a1, a2 = alphas.get(pair, _default_alphas(*pair))
        binary[pair] = Binary(
            beta0=entry.get("B0", zero), beta1=entry.get("B1", zero),
            beta2=entry.get("B2", zero), cphi=entry.get("C0", zero),
            source=path.name, t_range=t_range if tdep[pair] else (298.15, 298.15),
            alpha1=float(a1), alpha2=float(a2),
        )  # fmt: skip
    extra = [c for pair in binary for c in pair]
    params = build_parameters(
        name or path.stem, binary, theta, psi, aphi_row=aphi_row,
        aphi_water=0.0 if aphi_row is not None else 1.0,
        source=f"PHREEQC database {path.name}", ignored=tuple(ignored), extra_ions=extra,
        macinnes=macinnes,
    )  # fmt: skip
    return params
