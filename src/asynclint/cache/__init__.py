"""On-disk caches: file summaries (``summaries``) and whole-run results (``results``)."""
