"""Stage 2, summarize: one file's text to a ``ModuleSummary`` (``summarizer``), for every file of
the run with the on-disk cache and worker processes (``collect``)."""

from .collect import Collected, collect_summaries, summarize_bytes
from .summarizer import ParseFailure, dotted_text, parse_noqa, summarize_source

__all__ = ["Collected", "ParseFailure", "collect_summaries", "dotted_text", "parse_noqa", "summarize_bytes",
           "summarize_source"]
