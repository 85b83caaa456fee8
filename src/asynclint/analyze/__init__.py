"""Stage 4, analyze: which code blocks the event loop (direct, transitive and one-time findings)."""

from .analysis import Analysis, analyze
from .classify import Blocking, Classifier

__all__ = ["Analysis", "Blocking", "Classifier", "analyze"]
