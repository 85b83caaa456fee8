"""Stage 5, framework findings: FastAPI/Starlette routes and ASL3xx."""
