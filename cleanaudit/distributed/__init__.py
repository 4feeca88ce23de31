"""The Dask backend: the same workflows as a local run, with the work spread over a cluster.

- :mod:`~cleanaudit.distributed.cluster`: ``--scheduler ADDRESS`` to a connected ``Client``
  (``local`` starts a LocalCluster sized to this machine), with one clear error when Dask is
  missing or the scheduler cannot be reached.
- :mod:`~cleanaudit.distributed.batch`: a batch of datasets as one task per dataset.
- :mod:`~cleanaudit.distributed.partitions`, :mod:`~cleanaudit.distributed.crossval`,
  :mod:`~cleanaudit.distributed.table`, :mod:`~cleanaudit.distributed.table_checks`: one table
  larger than a worker's memory, read as partitions (Parquet row groups, CSV blocks),
  cross-validated per partition, its exact checks computed over partitions.
- :mod:`~cleanaudit.distributed.engine`: the confident-learning engine over the blocks of a
  dask array (:mod:`cleanaudit.engine.blocks` on the workers), identical to the in-memory engine.

Nothing here is imported by ``cleanaudit --help``, and Dask itself is imported only inside the
functions that need it, so the core runs without the ``dask`` extra.
"""
