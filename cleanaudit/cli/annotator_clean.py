"""clean --strategy consensus (``--annotators``): run :func:`~cleanaudit.workflows.annotator_clean.run_consensus_clean`
and render what it wrote."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cleanaudit.cli.options import DataOptions
    from cleanaudit.workflows.clean_run import CleanRequest


def clean_by_consensus(request: CleanRequest, opts: DataOptions, top: int | None) -> int:
    """Write the consensus of the request's annotators; the summary, the rows it changed, the annotators."""
    from cleanaudit.cli import signals
    from cleanaudit.cli.console import RichEvents
    from cleanaudit.cli.render import emit
    from cleanaudit.report.annotator_tables import consensus_clean_tables
    from cleanaudit.workflows.annotator_clean import run_consensus_clean

    events = RichEvents(opts.quiet, opts.debug)
    try:
        result = run_consensus_clean(request, events=events, checkpoint=signals.check)
    finally:
        events.close()
    assert result.context is not None
    status = emit(result.context, opts, events, tables=consensus_clean_tables(result, top))
    if result.files.get("output_file"):
        events.wrote(
            f"{result.files['output_file']} ({result.payload['rows_out']} rows), "
            f"manifest {result.files['manifest_file']}"
        )
    return status
