"""The PHREEQC reader refuses hostile numbers and options, naming the file, line and line text."""

import hashlib
import re
from importlib.resources import files

import numpy as np
import pytest

from ionsweep.activity import read_phreeqc_pitzer

HEAD = "PITZER\n-B0\n  Na+  Cl-  0.0765\n"  # lines 1-3; the hostile line is line 4 or 5


def _refused(tmp_path, text, lineno, line, match):
    path = tmp_path / "hostile.dat"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError) as info:
        read_phreeqc_pitzer(path)
    msg = str(info.value)
    assert msg.startswith(f"{path}, line {lineno}: "), msg
    assert re.search(match, msg), msg
    shown = line.strip().encode("utf-8").decode("latin-1")  # the reader reads latin-1
    shown = repr(shown if len(shown) <= 60 else shown[:60] + "…")
    assert msg.endswith(f"the line reads {shown}"), msg  # the line itself, escaped
    assert len(msg) < 400  # a 10⁶-character line is not echoed whole


# Coefficients Python's float() reads but PHREEQC's databases never hold.
NOT_PLAIN = [
    "nan", "NaN", "-nan", "inf", "-Infinity", "0_0765", "1_000", "0x1p-3", "0x10",
    "\u0663.\u0665",  # Arabic-Indic digits (float() reads 3.5; the file's UTF-8 read as latin-1)
    "\uff10.\uff15",  # fullwidth digits (float() reads 0.5)
    "1e1000", "1e-1000",  # exponent of four digits
    "1" * 10**6,  # a 10⁶-digit number: refused on its length, before any parsing
    "0." + "0" * 40 + "1",  # over 32 characters
]  # fmt: skip
TOO_LARGE = ["1e308", "-1.7e308", "1e10", "-1.1e9", "9" * 30]


@pytest.mark.parametrize("tok", NOT_PLAIN, ids=lambda t: ascii(t)[:20])
def test_coefficient_not_in_plain_decimal_is_refused(tmp_path, tok):
    line = f"  Ca+2  Cl-  0.3159  {tok}"
    _refused(tmp_path, HEAD + line + "\n", 4, line, r"-B0 Ca\+2 Cl-: .* is not a number")


@pytest.mark.parametrize("tok", TOO_LARGE)
def test_coefficient_beyond_the_bound_is_refused(tmp_path, tok):
    line = f"  Ca+2  Cl-  {tok}"
    _refused(tmp_path, HEAD + line + "\n", 4, line, r"is beyond ±1e\+09")


@pytest.mark.parametrize(
    ("line", "match"),
    [
        ("  Ca+2  SO4-2  -1.4  12", "must be positive"),
        ("  Ca+2  SO4-2  0  12", "must be positive"),
        ("  Ca+2  SO4-2  1.4  -12", "must be positive"),
        ("  Ca+2  SO4-2  1.4  12  50", "3 coefficients; it takes at most 2"),
        ("  Ca+2  SO4-2  nan", "is not a number"),
    ],
)
def test_alphas_must_be_positive(tmp_path, line, match):
    _refused(tmp_path, f"{HEAD}-ALPHAS\n{line}\n", 5, line, match)


@pytest.mark.parametrize(
    ("line", "match"),
    [
        ("-APHI abc", "-APHI takes its coefficients on the lines below it"),
        ("-B1 0.2664", "-B1 takes its coefficients on the lines below it"),
        ("-MacInnes maybe", "takes true or false"),
        ("-MacInnes true false", "takes true or false"),
    ],
)
def test_text_after_an_option_is_refused(tmp_path, line, match):
    _refused(tmp_path, HEAD + line + "\n", 4, line, match)


def test_aphi_line_must_be_numbers(tmp_path):
    _refused(tmp_path, HEAD + "-APHI\n  abc\n", 5, "  abc", "-APHI: 'abc' is not a number")


def test_plain_numbers_and_the_largest_published_magnitude_are_read(tmp_path):
    # ColdChem.dat (PHREEQC's distribution) holds A5 = −5.84119982E+07 for Mg–SO4.
    text = ("PITZER\n-B0\n  Mg+2  SO4-2  -3.43527864E+01  1.31036469E+06  2.93088060E+03"
            "  8.71247613E+00  -1.41457090E-02  -5.84119982E+07\n"
            "  Na+  Cl-  +.0765  0  1.  -2e-5\n-ALPHAS\n  Na+  Cl-  2.5\n")  # fmt: skip
    path = tmp_path / "plain.dat"
    path.write_text(text)
    s = read_phreeqc_pitzer(path)
    mg, so4, na, cl = (s.index(x) for x in ("Mg2+", "SO4 2-", "Na+", "Cl-"))
    assert s.beta[mg, so4, 0, 8] == -5.84119982e07  # A5 → the 1/T² − 1/T_r² column
    assert s.beta[na, cl, 0, 0] == 0.0765 and s.beta[na, cl, 0, 1] == -2e-5
    assert tuple(s.alpha[na, cl]) == (2.5, 12.0)


def test_every_pitzer_block_is_read(tmp_path):
    # frezchem.dat (PHREEQC's distribution) sets options in a first PITZER block and holds its
    # coefficients in a second one; each block starts with no option.
    text = "PITZER\n-MacInnes false\nEND\nPITZER\n-B0\n  Na+  Cl-  0.0765\nEND\n"
    path = tmp_path / "two.dat"
    path.write_text(text)
    s = read_phreeqc_pitzer(path)
    assert s.macinnes is False and s.beta[s.index("Na+"), s.index("Cl-"), 0, 0] == 0.0765
    line = "  K+  Cl-  0.04835"
    _refused(tmp_path, text + "PITZER\n" + line + "\n", 9, line, "data line outside")


def test_shipped_database_reads_as_before():
    # sha256 of the set read from the shipped pitzer.dat, recorded with the reader before it
    # checked its numbers: the strict reader reads PHREEQC's own file identically. Record it
    # again only when pitzer.dat or the layout of PitzerParameters changes on purpose.
    s = read_phreeqc_pitzer(files("ionsweep.activity") / "data" / "pitzer.dat", "phreeqc")
    h = hashlib.sha256()
    for a in (s.beta, s.alpha, s.has_binary, s.theta, s.psi, s.aphi_row, s.aphi_water):
        a = np.ascontiguousarray(np.asarray(a, np.float64))
        h.update(repr(a.shape).encode())
        h.update(a.tobytes())
    h.update(repr((s.ions, s.ignored, s.macinnes, sorted(s.info))).encode())
    assert h.hexdigest() == "928ff4c152b0ca3b0e47085e2e3648ba1013621479628243d07b5eebdb88ef0b"
