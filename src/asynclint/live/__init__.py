"""A project held in memory and kept up to date as its files change (the language server).

``Workspace`` keeps every module's summary, the linked project, each
function's classification and the route model; an edit re-summarizes the
edited file and recomputes only what depends on it (``shape`` says how far an
edit reaches).
"""

from .workspace import Workspace

__all__ = ["Workspace"]
