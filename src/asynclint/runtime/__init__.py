"""Run-time confirmation of static findings: the pytest plugin behind ``pytest --asynclint-runtime``.

asynclint itself never imports this package. pytest loads :mod:`.plugin` through
the ``pytest11`` entry point; that module only declares options, and imports the
rest (and patches anything) only when the plugin is switched on. See docs/runtime.md.
"""
