"""A project held in memory and kept up to date as its files change (the language server).

``Workspace`` keeps every module's summary, the linked project, each
function's classification and the route model; an edit re-summarizes the
edited file and recomputes only what depends on it (``shape`` says how far an
edit reaches).
"""

__all__ = ["Workspace"]


def __getattr__(name):
    # (imported when asked: ``live.persist`` alone, which a run the results kept answer reads the
    # analysis store's file table with, must not bring the whole engine in)
    if name == "Workspace":
        from .workspace import Workspace

        return Workspace
    raise AttributeError(name)
