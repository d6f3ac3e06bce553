"""Build hook: the wheel carries the example specs and notebooks as package data.

The mapping is ``examples`` in pyproject.toml's ``[tool.hatch.build.targets.wheel.hooks.custom]``
(folder of the repository -> folder in the wheel). A wheel proper gets them; an editable
install does not, since ``ionsweep.examples`` reads them from the checkout itself.
"""

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class ExamplesBuildHook(BuildHookInterface):
    """Force-include the example folders in standard (not editable) wheels."""

    def initialize(self, version: str, build_data: dict) -> None:
        if version == "standard":
            build_data["force_include"].update(self.config["examples"])
