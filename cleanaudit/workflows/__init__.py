"""One module per command: ``run_<command>(request, *, events) -> <Command>Result``.

``audit`` (and ``batch`` for several datasets), ``find_issues``, ``health``, ``overlap``,
``noise_matrix``, ``clean_run``; beside them what they share (``request``, ``prepare``, ``sources``,
``result``) and the pieces they use (``labels``, ``clean``, ``gates``, ``baseline``, ``selfcheck``,
``merging``). Nothing here prints, exits or imports the CLI or the renderers (nor typer or rich).
"""
