"""Stage 7, report: formatters that read findings only.

``text`` (default), ``json`` (the stable contract of the design document),
``sarif`` (SARIF 2.1.0) and ``github`` (workflow annotations); ``explain``
renders the full reasoning for one finding.
"""

from .json import format_json
from .text import format_statistics, format_text, summary_line

__all__ = ["format_json", "format_statistics", "format_text", "summary_line"]
