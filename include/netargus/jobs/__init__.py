"""The jobs the DAGs run, protocol-agnostic and testable with a ClickHouse client and a
credentials lookup passed in: :mod:`.discovery`, :mod:`.enrichment`, :mod:`.polling` (with
their planning, idempotency and backfill), :mod:`.streaming` (leases, collectors, loader,
streamed rates), all through one runner (:mod:`.runner`)."""
