"""asynclint: find code that blocks the asyncio event loop."""

__version__ = "0.1.0"
