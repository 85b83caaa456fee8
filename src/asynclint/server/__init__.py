"""The language server (``asynclint server``): LSP over stdio on top of ``live.Workspace``.

``session`` holds the state (documents, projects, findings, fixes) and knows
nothing of the protocol; ``convert`` turns findings into LSP values;
``server`` wires them to pygls. pygls is an optional dependency
(``pip install 'asynclint[server]'``), imported only by ``asynclint server``.
"""
