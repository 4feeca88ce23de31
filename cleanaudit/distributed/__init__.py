"""The Dask backend: batches over a cluster, one table read as partitions, the engine over chunks."""
