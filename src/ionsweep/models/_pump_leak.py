"""Sweep model ``pump_leak_volume``: the pump–leak–Donnan steady state and cell volume."""

from __future__ import annotations

from ionsweep import physics
from ionsweep.models._base import Input, Model, Output
from ionsweep.models._kernels import temperature

__all__ = ["pump_leak_volume"]


def pump_leak_volume() -> Model:
    """Model of :func:`ionsweep.pump_leak_steady_state`; every input an axis or fixed value."""

    def fn(x):
        s = physics.pump_leak_steady_state(
            x["pump_flux"],
            x["P_K"],
            x["P_Na"],
            x["P_Cl"],
            x["K_out"],
            x["Na_out"],
            x["Cl_out"],
            x["impermeant"],
            x["z_impermeant"],
            x["T"],
            x["r"],
            x["osmolyte_out"],
        )
        # `valid` is the sweep's own flag (all outputs finite), so it is not an output here.
        return {"V": s.V, "Na_in": s.Na_in, "K_in": s.K_in, "Cl_in": s.Cl_in, "volume": s.volume}

    return Model(
        "pump_leak_volume",
        (
            Input("pump_flux", "pmol/cm2/s", "Na+ extruded by the Na/K pump", None, "nonnegative"),
            Input("P_K", "cm/s", "K+ permeability", 1e-6, "positive"),
            Input("P_Na", "cm/s", "Na+ permeability", None, "positive"),
            Input(
                "P_Cl",
                "cm/s",
                "Cl- permeability (the state does not depend on it)",
                1e-6,
                "nonnegative",
            ),
            Input("K_out", "mM", "K+ concentration outside", 5.0, "nonnegative"),
            Input("Na_out", "mM", "Na+ concentration outside", 145.0, "nonnegative"),
            Input("Cl_out", "mM", "Cl- concentration outside", 150.0, "nonnegative"),
            Input(
                "impermeant",
                "mM um",
                "impermeant solute content per membrane area",
                400.0,
                "positive",
            ),
            Input("z_impermeant", "1", "mean valence of the impermeant solute", -1.0, "nonzero"),
            temperature(),
            Input("r", "1", "pump coupling ratio Na+ out : K+ in", 1.5, "positive"),
            Input("osmolyte_out", "mM", "extra impermeant osmolyte outside", 0.0, "nonnegative"),
        ),
        (
            Output("V", "mV", "pump-leak steady-state membrane potential"),
            Output("Na_in", "mM", "Na+ concentration inside at the steady state"),
            Output("K_in", "mM", "K+ concentration inside at the steady state"),
            Output("Cl_in", "mM", "Cl- concentration inside at the steady state"),
            Output("volume", "um", "cell volume per membrane area at the steady state"),
        ),
        fn,
        "Pump-leak-Donnan steady state: potential, internal ions and cell volume",
    )
