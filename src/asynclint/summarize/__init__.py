"""Stage 2, summarize: one file's text to a ``ModuleSummary`` (see ``summarizer``)."""

from .summarizer import ParseFailure, dotted_text, parse_noqa, summarize_source

__all__ = ["ParseFailure", "dotted_text", "parse_noqa", "summarize_source"]
