"""Stage 4, analyze: which code blocks the event loop (direct and transitive findings)."""

from .analysis import Analysis, Blocking, Classifier, analyze

__all__ = ["Analysis", "Blocking", "Classifier", "analyze"]
