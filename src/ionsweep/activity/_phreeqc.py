"""Reading the PITZER block of a PHREEQC-format database into a :class:`PitzerParameters`.

Keywords read (PHREEQC 3, Parkhurst & Appelo 2013, *USGS Techniques and Methods* 6-A43,
keyword PITZER): ``-B0 -B1 -B2 -C0`` (cation–anion β⁽⁰⁾, β⁽¹⁾, β⁽²⁾, C^φ), ``-THETA``,
``-PSI``, ``-ALPHAS`` (α₁, α₂ of one pair), ``-LAMDA``/``-LAMBDA``, ``-ZETA``, ``-MU``,
``-ETA`` (terms with neutral species), ``-MacInnes`` (true/false), ``-use_etheta``,
``-APHI`` and ``-redox``, in every PITZER block of the file (PHREEQC reads them all). Each
data line is the species followed by up to six coefficients A0…A5 of PHREEQC's
temperature function (T_r = 298.15 K)::

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

Refused, naming the file, the line number and the line: an unknown option, text after an
option that takes its coefficients on the lines below it (``-APHI abc``), a coefficient that is
not a plain decimal number (``nan``, ``inf``, ``0_0765``, hexadecimal, non-ASCII digits, more
than 32 characters) or whose magnitude exceeds :data:`MAX_COEFFICIENT` (1e9), a data line with
no coefficient or too many (more than six; more than two for ``-ALPHAS``), an α of ``-ALPHAS``
that is not positive (α enters as exp(−α√I)), a species neither in ionsweep's ion table nor
defined in the file's SOLUTION_SPECIES / SOLUTION_MASTER_SPECIES, an anion–anion ``-B0`` or a
``-LAMDA`` between two modelled ions (a term ionsweep does not implement).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ionsweep._ions import ions as ion_table
from ionsweep.activity._pitzer_basis import K, phreeqc_row
from ionsweep.activity._pitzer_params import (
    Binary,
    Mixing,
    PitzerParameters,
    _default_alphas,
    build_parameters,
)

if TYPE_CHECKING:
    import os


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
#: Largest magnitude of a coefficient accepted. PHREEQC's distributed databases stay below
#: 6e7 (ColdChem.dat's A5 of Mg–SO4 is −5.84e7; pitzer.dat's largest is A5 of Na–Cl, −7.48e5).
MAX_COEFFICIENT = 1e9
_MAX_TOKEN = 32  # characters of one number (those databases write at most 15)
#: Plain decimal notation, ASCII digits only (Python's float() also reads "nan", "inf",
#: "1_000" and non-ASCII digits); unambiguous, so matching takes time linear in the token.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?")
_SPECIES = re.compile(r"^(?P<base>[A-Za-z][A-Za-z0-9()._:]*?)(?P<sign>[+-])(?P<n>\d*)$")
T_RANGE_DEFAULT = (273.15, 473.15)


class _LineError(ValueError):
    """A refusal of one line; the reader adds the file, the line number and the line."""


def _show(text: str, limit: int = 60) -> str:
    """``text`` quoted and escaped, cut to ``limit`` characters."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


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


def _number(tok: str, what: str) -> float:
    """One coefficient: plain decimal notation, finite, within ±:data:`MAX_COEFFICIENT`."""
    if len(tok) > _MAX_TOKEN or not _NUMBER.fullmatch(tok):
        raise _LineError(f"{what}: {_show(tok)} is not a number (plain decimal notation, "
                         f"at most {_MAX_TOKEN} characters)")  # fmt: skip
    x = float(tok)
    if not abs(x) <= MAX_COEFFICIENT:
        raise _LineError(f"{what}: {tok} is beyond ±{MAX_COEFFICIENT:.0e}")
    return x


def _numbers(toks, what, most=6):
    if not toks:
        raise _LineError(f"{what} has no coefficient")
    if len(toks) > most:
        raise _LineError(f"{what} has {len(toks)} coefficients; it takes at most {most}")
    return [_number(t, what) for t in toks]


def _pitzer_lines(lines, path):
    """(line number, line) of every PITZER block, with (0, None) opening each block."""
    found = False
    inside = False
    for k, raw in enumerate(lines):
        if _is_keyword(raw):
            inside = raw.split()[0].upper() == "PITZER"
            found = found or inside
            if inside:
                yield 0, None
        elif inside:
            yield k + 1, raw
    if not found:
        raise ValueError(f"{path}: no PITZER block")


@dataclass
class _Reader:
    """What the PITZER lines of one file have said so far, one line at a time."""

    path: Path
    known: set
    t_range: tuple
    rows: dict = field(default_factory=dict)
    tdep: dict = field(default_factory=dict)
    alphas: dict = field(default_factory=dict)
    theta: dict = field(default_factory=dict)
    psi: dict = field(default_factory=dict)
    ignored: dict = field(default_factory=dict)
    aphi_row: object = None
    macinnes: bool = True
    option: tuple | None = None

    def feed(self, line: str) -> None:
        if line.startswith("-"):
            self._option(line)
        elif self.option is None:
            raise _LineError("data line outside a PITZER option")
        else:
            self._data(line)

    def _option(self, line: str) -> None:
        opt, *rest = line[1:].split() or [""]
        key = _OPTIONS.get(opt.lower())
        if key is None:
            raise _LineError(f"unknown PITZER option {_show(line.split()[0])}")
        self.option = key if key[1] is not None else None
        if key[1] is not None:
            if rest:
                raise _LineError(f"-{key[0]} takes its coefficients on the lines below it, "
                                 f"not {_show(' '.join(rest))}")  # fmt: skip
            return
        value = rest[0].lower() if rest else "true"
        if value not in ("true", "false", "t", "f") or len(rest) > 1:
            raise _LineError(f"-{opt} takes true or false, got {_show(' '.join(rest))}")
        if key[0] == "MACINNES":
            self.macinnes = value.startswith("t")
        elif key[0] == "ETHETA" and not value.startswith("t"):
            raise _LineError("-use_etheta false: ionsweep always includes Eθ")

    def _data(self, line: str) -> None:
        assert self.option is not None  # feed() sends data lines only within an option
        kind, n = self.option
        toks = line.split()
        species, numbers = toks[:n], toks[n:]
        if len(species) < n or any(_NUMBER.fullmatch(s) for s in species):
            raise _LineError(f"-{kind} needs {n} species before its coefficients")
        what = " ".join([f"-{kind}", *species])
        coef = _numbers(numbers, what, most=2 if kind == "ALPHAS" else 6)
        if kind == "APHI":
            self.aphi_row = phreeqc_row(*coef)
            return
        mapped = self._mapped(species)
        if mapped is None:
            return  # a term with a species ionsweep does not model
        z = [int(ion_table.valence(c)) for c in mapped]
        if kind in ("LAMDA", "ZETA", "MU", "ETA"):
            raise _LineError(f"-{kind} between ions {mapped}: ionsweep has no such term")
        if kind in ("B0", "B1", "B2", "C0", "ALPHAS"):
            self._binary(kind, species, mapped, z, coef)
        elif kind == "THETA":
            if z[0] * z[1] <= 0:
                raise _LineError(f"-THETA needs two ions of one sign, got {species}")
            row = phreeqc_row(*coef)
            self.theta[frozenset(mapped)] = Mixing(row, self.path.name, self.t_range)
        else:
            self._psi(species, mapped, z, coef)

    def _mapped(self, species) -> list | None:
        """ionsweep's names of ``species``, or None if one of them is not modelled."""
        mapped = []
        for s in species:
            canon = phreeqc_species(s)
            if canon is None and s not in self.known:
                raise _LineError(f"unknown species {s!r}: not an ion ionsweep models and "
                                 "not defined in the file's SOLUTION_SPECIES")  # fmt: skip
            if canon is None:
                self.ignored[s] = None
            mapped.append(canon)
        return None if None in mapped else mapped

    def _binary(self, kind, species, mapped, z, coef) -> None:
        if z[0] * z[1] >= 0:
            raise _LineError(f"-{kind} needs a cation and an anion, got {species}")
        pair = tuple(sorted(mapped, key=lambda c: -ion_table.valence(c)))
        if kind == "ALPHAS":
            if not all(a > 0 for a in coef):
                raise _LineError(f"-ALPHAS {' '.join(species)}: α₁ and α₂ must be positive")
            self.alphas[pair] = coef + [12.0] * (2 - len(coef))
            return
        self.rows.setdefault(pair, {})[kind] = phreeqc_row(*coef)
        self.tdep[pair] = self.tdep.get(pair, False) or any(c != 0 for c in coef[1:])

    def _psi(self, species, mapped, z, coef) -> None:
        """ψ: two ions of one sign, one of the other, in any order."""
        signs = [np.sign(v) for v in z]
        odd = [k for k in range(3) if signs.count(signs[k]) == 1]
        if len(odd) != 1 or len(set(mapped)) != 3:
            raise _LineError(f"-PSI needs two ions of one sign and one of the other, "
                             f"got {species}")  # fmt: skip
        k = odd[0]
        pair = frozenset(m for i, m in enumerate(mapped) if i != k)
        self.psi[(pair, mapped[k])] = Mixing(phreeqc_row(*coef), self.path.name, self.t_range)

    def parameters(self, name: str) -> PitzerParameters:
        binary = {}
        zero = np.zeros(K)
        for pair, entry in self.rows.items():
            a1, a2 = self.alphas.get(pair, _default_alphas(*pair))
            binary[pair] = Binary(
                beta0=entry.get("B0", zero), beta1=entry.get("B1", zero),
                beta2=entry.get("B2", zero), cphi=entry.get("C0", zero),
                source=self.path.name,
                t_range=self.t_range if self.tdep[pair] else (298.15, 298.15),
                alpha1=float(a1), alpha2=float(a2),
            )  # fmt: skip
        return build_parameters(
            name, binary, self.theta, self.psi, aphi_row=self.aphi_row,
            aphi_water=0.0 if self.aphi_row is not None else 1.0,
            source=f"PHREEQC database {self.path.name}", ignored=tuple(self.ignored),
            extra_ions=[c for pair in binary for c in pair], macinnes=self.macinnes,
        )  # fmt: skip


def read_phreeqc_pitzer(
    path: str | os.PathLike[str],
    name: str | None = None,
    *,
    t_range: tuple[float, float] = T_RANGE_DEFAULT,
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
    reader = _Reader(path, _defined_species(lines), t_range)
    for lineno, raw in _pitzer_lines(lines, path):
        line = _strip(raw) if raw is not None else None
        if line is None:
            reader.option = None  # each PITZER block starts with no option
        elif line:
            try:
                reader.feed(line)
            except _LineError as e:
                msg = f"{path}, line {lineno}: {e}; the line reads {_show(raw.strip())}"
                raise ValueError(msg) from None
    return reader.parameters(name or path.stem)
