"""The registered kernels: one :class:`~ionsweep.models.Kernel` entry per physics function.

An entry is the whole registration of a kernel: from it come the sweep model of its name,
the ``ionsweep calc`` subcommand (``name`` with hyphens; a quantity with a presentation of
its own in ``ionsweep.cli`` keeps that one), the stores' ``long_name`` and ``units`` and so
the explorer's labels. Adding a kernel is its physics function, its export from
:mod:`ionsweep.physics` and one entry here. Entries name their function (an attribute of
:mod:`ionsweep.physics`), so that listing them imports no JAX: the command line builds its
help from them.
"""

from __future__ import annotations

from ionsweep.models._base import Input, Kernel, Output

__all__ = ["KERNELS", "temperature", "valence"]

#: The temperature inputs default to, K (37 °C).
BODY_TEMPERATURE = 310.15


def temperature() -> Input:
    """The temperature input ``T``, K (default 37 °C)."""
    return Input("T", "K", "temperature", BODY_TEMPERATURE, "temperature")


def valence(name: str = "z", default: float | None = None) -> Input:
    """A valence input, which a spec may also give as an ion name (its valence)."""
    return Input(name, "1", "valence", default, "nonzero", labels="ion", differentiable=False)


KERNELS: tuple[Kernel, ...] = (
    Kernel(
        "nernst",
        "nernst",
        (
            Input("c_in", "mM", "concentration inside", None, "positive"),
            Input("c_out", "mM", "concentration outside", None, "positive"),
            valence(),
            temperature(),
            Input("gamma_in", "1", "activity coefficient inside", 1.0, "positive"),
            Input("gamma_out", "1", "activity coefficient outside", 1.0, "positive"),
        ),
        (Output("E", "mV", "Nernst equilibrium potential"),),
        "Nernst potential E = RT/(zF) ln(γ_out c_out / γ_in c_in)",
    ),
    Kernel(
        "ghk_current",
        "ghk_current",
        (
            Input("V", "mV", "membrane potential"),
            Input("P", "cm/s", "permeability", None, "nonnegative"),
            Input("c_in", "mM", "concentration inside", None, "nonnegative"),
            Input("c_out", "mM", "concentration outside", None, "nonnegative"),
            valence(),
            temperature(),
        ),
        (Output("I", "mA/cm2", "GHK current density (outward positive)"),),
        "Goldman-Hodgkin-Katz current density of one ion",
    ),
    Kernel(
        "surface_potential",
        "surface_potential",
        (
            Input("sigma", "C/m2", "surface charge density of the membrane"),
            Input("c_salt", "mM", "concentration of the z:z electrolyte", None, "positive"),
            Input("z", "1", "valence of the electrolyte's ions", 1.0, "nonzero"),
            temperature(),
        ),
        (Output("psi0", "mV", "surface potential relative to the bulk solution"),),
        "Gouy-Chapman surface potential of a charged membrane (the Grahame equation)",
        "--sigma -0.05 --c-salt 150 --celsius 25",
    ),
    Kernel(
        "debye_length",
        "debye_length",
        (
            Input("c_salt", "mM", "concentration of the z:z electrolyte", None, "positive"),
            Input("z", "1", "valence of the electrolyte's ions", 1.0, "nonzero"),
            temperature(),
        ),
        (Output("debye_length", "nm", "Debye screening length"),),
        "Debye screening length of a symmetric electrolyte in water",
        "--c-salt 150",
    ),
)
