"""Named quantities a sweep can ask for, each a pure function of named inputs.

The public names are listed once, in ``__init__.pyi``, and load on first use.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
