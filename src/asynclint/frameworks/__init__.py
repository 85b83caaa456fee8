"""Stage 5, framework findings: FastAPI/Starlette routes on every finding, and ASL3xx."""

from .fastapi import annotate_routes


def framework_findings(project, analysis, cfg):
    """The analysis' findings with their routes, plus the framework-level findings:
    (diagnostics, the route model)."""
    return annotate_routes(project, analysis, list(analysis.diagnostics), cfg)


__all__ = ["framework_findings"]
