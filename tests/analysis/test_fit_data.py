"""Reading the measurement table of a fit from CSV: values, and errors naming column and line."""

import numpy as np
import pytest

from ionsweep.analysis import FitInputError
from ionsweep.analysis._fit_data import read_measurements

HEADER = "K+_in,K+_out,Na+_in,Na+_out,V_rev,cell"


def _read(tmp_path, text, encoding="utf-8"):
    path = tmp_path / "table.csv"
    path.write_bytes(text.encode(encoding))
    m, ref = read_measurements(path, ("K+", "Na+"), "K+", T=295.15)
    return m, ref


def test_values_blank_rows_whitespace_bom_and_text_cell_ids(tmp_path):
    text = (
        "\ufeff K+_in , K+_out,Na+_in,Na+_out,V_rev,cell,note\n"
        "140, 5 ,10,145,-80.5,01,first\n"
        "\n"
        ",,,,,,\n"
        '140,20,10,145,"-45.25",02,"a, quoted note"\n'
        "140,1e2,10,1.45e2,inf,03,\n"
    )
    with pytest.raises(FitInputError, match=r"column 'V_rev' has NaN, infinite or empty.*line 4"):
        _read(tmp_path, text)
    m, ref = _read(tmp_path, text.replace("inf", "-1.5"))
    assert ref == 0 and m.ions == ("K+", "Na+") and m.n == 3
    np.testing.assert_array_equal(m.c_in, [[140, 10]] * 3)
    np.testing.assert_array_equal(m.c_out, [[5, 145], [20, 145], [100, 145]])
    np.testing.assert_array_equal(m.V, [-80.5, -45.25, -1.5])
    assert m.cell.tolist() == ["01", "02", "03"]  # ids stay text
    assert [m.row_names[i] for i in range(3)] == ["line 2", "line 3", "line 4"]


@pytest.mark.parametrize(
    ("rows", "field", "message"),
    [
        ("140,5,10,145,abc,a", "V_rev", r"column 'V_rev': 'abc' at line 3 is not a number"),
        ("140,5,10,NA,-80,a", "Na+_out", r"column 'Na\+_out': 'NA' at line 3 is not a number"),
        ("140,5,10,145,,a", "V_rev", r"column 'V_rev' has NaN, infinite or empty .* line 3"),
        ("140,5,10,nan,-80,a", "Na+_out", r"'Na\+_out' has NaN, infinite or empty .* line 3"),
        ("140,5,10", "Na+_out", r"'Na\+_out' has NaN, infinite or empty .* line 3"),  # short
        ("140,5,10,145,-80,a,extra", "data", r"line 3: 7 fields, header has 6"),
        ("140,-5,10,145,-80,a", "K+_out", r"negative concentration in column 'K\+_out' at line 3"),
    ],
)
def test_bad_rows_name_the_column_and_the_line(tmp_path, rows, field, message):
    with pytest.raises(FitInputError, match=message) as info:
        _read(tmp_path, f"{HEADER}\n140,5,10,145,-80,a\n{rows}\n")
    assert info.value.field == field


def test_bad_files(tmp_path):
    with pytest.raises(FitInputError, match="duplicate column.*K\\+_in") as info:
        _read(tmp_path, "K+_in,K+_in,K+_out,Na+_in,Na+_out,V_rev\n1,1,1,1,1,1\n")
    assert info.value.field == "K+_in"
    with pytest.raises(FitInputError, match="is empty \\(expected a header line\\)"):
        _read(tmp_path, "")
    with pytest.raises(FitInputError, match="the table has no rows"):
        _read(tmp_path, HEADER + "\n")
    with pytest.raises(FitInputError, match="cannot read .*utf-8"):
        _read(tmp_path, f"{HEADER}\n140,5,10,145,-80,é\n", encoding="latin-1")
    with pytest.raises(FitInputError, match="no such file") as info:
        read_measurements(tmp_path / "absent.csv", ("K+", "Na+"), "K+", T=295.15)
    assert info.value.field == "data"
