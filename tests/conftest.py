"""Test configuration: physics runs in float64 (DESIGN.md)."""

import jax

jax.config.update("jax_enable_x64", True)
