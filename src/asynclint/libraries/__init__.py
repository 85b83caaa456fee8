"""Installed libraries, read from source: what they do is inferred from their code, on demand.

``loader`` finds and summarizes the library modules the analysis reaches
(cached per distribution version by ``store``, as data encoded by ``codec``);
``distributions`` maps modules to distributions; ``inferred`` marks findings
whose chain runs through library code and reports what was inferred.
"""

from .inferred import inferred_apis, mark_inferred, render_inferred
from .loader import LibraryLoader, attach_libraries
from .store import LibraryStore

__all__ = ["LibraryLoader", "LibraryStore", "attach_libraries", "inferred_apis", "mark_inferred", "render_inferred"]
