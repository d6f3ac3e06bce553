"""Units at the Python boundary of the public kernels: pint Quantities and the kelvin trap.

The kernels take plain numbers in the units DESIGN.md fixes (mV, mM, K, cm/s). At the public
entry points, and only for values that are not JAX arrays (so nothing changes under ``jit``,
``vmap`` or ``grad``, where the arguments are tracers):

* a pint ``Quantity`` (recognized by its ``to``, ``magnitude`` and ``units`` attributes, so
  pint is never imported here) is converted to the documented unit, and one of the wrong
  dimension is refused with a ``ValueError`` naming the argument; a molality (``mol/kg``)
  given for a concentration becomes mM with the density of water at the call's
  temperature, c = m·ρ_w(T), as ``ionsweep calc --molal`` converts;
* a concrete temperature (Python number, list or NumPy array) below 200 K but above 0 warns
  with :class:`TemperatureUnitWarning`: it is almost surely degrees Celsius given as kelvin.

>>> import ionsweep
>>> ionsweep.celsius(37)
310.15
"""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import numpy as np

from ionsweep.constants import ZERO_CELSIUS

__all__ = [
    "MAX_TEMPERATURE_K",
    "MIN_TEMPERATURE_K",
    "TemperatureUnitWarning",
    "celsius",
    "with_units",
]

F = TypeVar("F", bound=Callable[..., Any])

#: Temperatures (K) below this warn on eager calls: no aqueous membrane is that cold.
_COLDEST_PLAUSIBLE_K = 200.0

#: The coldest and hottest temperatures (K) specs and ``calc`` accept: outside them no
#: model of ionsweep means anything (water is long gone below 1000 K), and a value there is
#: a unit or typing error (1e-30 K, 1e300 K), refused with a message naming the field.
MIN_TEMPERATURE_K = 1.0
MAX_TEMPERATURE_K = 1000.0


class TemperatureUnitWarning(UserWarning):
    """A concrete temperature below 200 K was passed: ionsweep's T is in kelvin."""


def celsius(t_celsius: Any) -> Any:
    """A temperature in °C as kelvin, the unit every ionsweep function takes.

    Parameters
    ----------
    t_celsius : float or array_like
        Temperature, °C.

    Returns
    -------
    float or array
        ``t_celsius + 273.15``, K (a list becomes a NumPy array).

    Examples
    --------
    >>> import ionsweep
    >>> round(float(ionsweep.nernst(140.0, 5.0, 1, ionsweep.celsius(37))), 2)
    -89.06
    """
    if isinstance(t_celsius, list | tuple):
        t_celsius = np.asarray(t_celsius, dtype=float)
    return t_celsius + ZERO_CELSIUS


def _is_quantity(value: Any) -> bool:
    return all(hasattr(value, a) for a in ("to", "magnitude", "units"))


def _convert(value: Any, unit: str, name: str, function: str) -> Any:
    """The magnitude of a Quantity in ``unit`` ("" for dimensionless), or a clear error."""
    try:
        converted = value.to(unit or "dimensionless")
    except Exception as exc:  # pint's DimensionalityError, or an unknown unit
        want = f"'{unit}'" if unit else "dimensionless"
        raise ValueError(
            f"{function}: {name} is given in {value.units!s} (a quantity of dimension "
            f"{getattr(value, 'dimensionality', '?')!s}), which cannot be converted to "
            f"{want}: {exc}"
        ) from None
    return converted.magnitude


def _is_molal(value: Any) -> bool:
    """Whether the Quantity ``value`` is a molality (amount per mass, e.g. mol/kg)."""
    try:
        value.to("mol/kg")
    except Exception:  # pint's DimensionalityError
        return False
    return True


def _molal_to_mM(value: Any, T: Any, name: str, function: str) -> Any:
    """A molality Quantity in mM, with the density of water at ``T`` (K, concrete), as
    ``ionsweep calc --molal`` converts: c = m·ρ_w(T) (as
    :func:`ionsweep.activity.molality_to_mM`)."""
    if T is None:
        raise ValueError(
            f"{function}: {name} is given in {value.units!s}, a molality; converting it to "
            "mM takes the density of water at a temperature, which this function is not "
            "given: pass the concentration in mM (or M)"
        )
    return value.to("mol/kg").magnitude * water_density(np.asarray(T, np.float64))


def water_density(T: Any) -> Any:
    """Density of air-free water at 1 atm (Kell 1975, J. Chem. Eng. Data 20:97, eq. 16),
    kg/m³, for T in K (0–150 °C): NumPy or JAX arrays.

    >>> round(float(water_density(298.15)), 1)
    997.0
    """
    t = T - ZERO_CELSIUS
    num = (
        999.83952
        + 16.945176 * t
        - 7.9870401e-3 * t**2
        - 46.170461e-6 * t**3
        + 105.56302e-9 * t**4
        - 280.54253e-12 * t**5
    )
    return num / (1 + 16.879850e-3 * t)


def _check_temperature(value: Any, name: str, function: str) -> None:
    if not isinstance(value, int | float | list | tuple | np.ndarray | np.generic):
        return  # JAX arrays (tracers under jit included) are never read back here
    with np.errstate(invalid="ignore"):
        T = np.asarray(value, dtype=float)
        cold = (T > 0) & (T < _COLDEST_PLAUSIBLE_K)
    if np.any(cold):
        low = float(np.min(T[cold])) if T.ndim else float(T)
        warnings.warn(
            f"{function}: {name} = {low:g} K is below {_COLDEST_PLAUSIBLE_K:g} K; "
            f"temperatures are in kelvin (for {low:g} °C pass ionsweep.celsius({low:g}) "
            f"= {low + ZERO_CELSIUS:g} K)",
            TemperatureUnitWarning,
            stacklevel=3,
        )


def with_units(units: Mapping[str, str], temperature: str | None = "T") -> Callable[[F], F]:
    """Decorate a public kernel: convert Quantity arguments, warn on a kelvin trap.

    Parameters
    ----------
    units : mapping of str to str
        Argument name -> the pint unit it is documented in (``""`` for dimensionless;
        ``"cm/s"`` arguments also accept dimensionless Quantities, as relative values).
    temperature : str or None
        The argument holding the absolute temperature, checked for values below 200 K.
    """

    def decorate(fn: F) -> F:
        names = list(inspect.signature(fn).parameters)
        where = {name: i for i, name in enumerate(names)}

        def kelvin(args: tuple, kwargs: dict) -> Any:
            """The call's temperature in K (None if the function takes none, or not given)."""
            i = where.get(temperature, len(args)) if temperature else len(args)
            T = kwargs.get(temperature) if i >= len(args) else args[i]
            return _convert(T, "K", str(temperature), fn.__name__) if _is_quantity(T) else T

        def fix(name: str, value: Any, T: Any) -> Any:
            if _is_quantity(value) and name in units:
                unit = units[name]
                dimensionless = getattr(value, "dimensionless", False)
                if unit == "cm/s" and dimensionless:
                    unit = ""
                if unit == "mM" and _is_molal(value):
                    value = _molal_to_mM(value, T, name, fn.__name__)
                else:
                    value = _convert(value, unit, name, fn.__name__)
            if name == temperature:
                _check_temperature(value, name, fn.__name__)
            return value

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            T = kelvin(args, kwargs) if any(map(_is_quantity, (*args, *kwargs.values()))) else None
            args = tuple(fix(names[i], a, T) if i < len(names) else a for i, a in enumerate(args))
            kwargs = {k: fix(k, v, T) if k in where else v for k, v in kwargs.items()}
            return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
