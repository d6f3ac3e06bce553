"""Several CPU devices fed one program each, instead of one program for all of them.

On a CPU, a program compiled for several devices at once (``shard_map``,
:class:`~ionsweep.sweep._launch.Launcher`) is dispatched by one call that returns only
once every device has taken up its part, so the host cannot queue the next group of chunks
while the devices compute, and a device that finishes first waits for the others
(``benchmarks/RESULTS.md``, *bench_scale_cores notes*). :class:`PerDevice` gives each
device a :class:`~ionsweep.sweep._launch.Launcher` of its own, called asynchronously, and
deals the chunks of a call as the one program does (chunk ``k`` of a call to device
``k % devices``, in the same order), so every device merges the same chunks in the same
order and the results are those of the one program.
"""

from __future__ import annotations

import weakref
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ionsweep.sweep._launch import Launcher
from ionsweep.sweep._plan import Plan, mode

__all__ = ["PerDevice"]

#: The devices each cached kernel has been compiled for by a first call: a later run of the
#: same kernel skips that call (it would compute a chunk for nothing).
_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class PerDevice:
    """A :class:`~ionsweep.sweep._launch.Launcher` per device behind the interface of one
    launcher for all of them: ``launch(group[, state])`` with :attr:`per_call` chunks,
    ``fresh_state()``, ``to_host`` and ``stacked``. A state is a list, one device's state
    per entry (read to the host, a list of NumPy states); results carry a leading device
    axis, as those of the one program do. Each device's program is compiled at
    construction, in parallel (one compilation per device: they run on separate cores), by
    a first call whose result is dropped, unless an earlier run compiled it."""

    def __init__(self, plan: Plan, devices):
        self.plan, self.devices = plan, list(devices)
        self.launchers = [Launcher(plan, [d]) for d in self.devices]
        first = self.launchers[0]
        self.group, self.cell = first.group, first.cell
        self.per_call = self.group * len(self.devices)
        self.accumulate = mode(plan) == "reduce-accumulate"
        todo = [la for la in self.launchers if la.devices[0] not in _COMPILED.get(la.kernel, ())]
        if todo:
            with ThreadPoolExecutor(len(todo)) as pool:
                list(pool.map(self._compile, todo))

    def _compile(self, launch: Launcher) -> None:
        """A first call of ``launch`` (its result dropped), which compiles its program."""
        import jax

        index = [(0,) * len(self.plan.dims)]
        jax.block_until_ready(launch(index, *([launch.fresh_state()] if self.accumulate else [])))
        _COMPILED.setdefault(launch.kernel, set()).add(launch.devices[0])

    def fresh_state(self) -> list:
        """An empty accumulation state per device."""
        return [launch.fresh_state() for launch in self.launchers]

    def _dealt(self, group) -> list[list]:
        """The real chunks of ``group`` each device takes (chunk ``k`` to ``k % devices``)."""
        n = len(self.devices)
        return [list(group[j::n]) for j in range(n)]

    def __call__(self, group, *state):
        dealt = self._dealt(group)
        if state:
            (states,) = state
            out, tokens = list(states), []
            for j, chunks in enumerate(dealt):
                if chunks:  # a device without a real chunk merges nothing
                    out[j], token = self.launchers[j](chunks, states[j])
                    tokens.append(token)
            return out, tuple(tokens)  # ready when every device is done
        # A device without a real chunk computes a padding copy, ignored by the caller.
        pairs = zip(self.launchers, dealt, strict=True)
        return [launch(chunks or [group[-1]]) for launch, chunks in pairs]

    def to_host(self, result):
        """A call's results as NumPy arrays, one per device along a leading axis."""
        import jax

        hosts = [self.launchers[j].to_host(r) for j, r in enumerate(result)]
        return jax.tree.map(lambda *a: np.stack(a), *hosts)

    def stacked(self, host):
        """As :meth:`Launcher.stacked`: one entry per chunk of the call, in its order."""
        import jax

        g = self.group

        def undealt(a):
            if g == 1:
                return a
            return a.swapaxes(0, 1).reshape((self.per_call,) + a.shape[2:])

        return jax.tree.map(undealt, host)
