"""Stage 5, framework findings: FastAPI/Starlette routes on every finding, and ASL3xx."""

from .fastapi import annotate_routes


def framework_findings(project, analysis, cfg, model=None):
    """The analysis' findings with their routes, plus the framework-level findings:
    (diagnostics, the route model); ``model``: a route model of this project kept from an earlier run."""
    return annotate_routes(project, analysis, list(analysis.diagnostics), cfg, model)


__all__ = ["framework_findings"]
