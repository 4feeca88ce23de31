"""The Dask backend: batches over a cluster, the chunked engine, partitioned cross-validation."""
