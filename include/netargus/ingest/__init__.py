"""The ingestion APIs (issue 13): what agents, scripts and collectors push, into the pipeline.

Ingestion authenticates (:mod:`~netargus.ingest.tokens`), validates with the loader's own
decoders (:mod:`netargus.streaming.decoders.tsorage`, :mod:`~netargus.streaming.decoders.
datadog`) and forwards to Kafka ``netargus.raw`` as fast as it can
(:mod:`~netargus.ingest.forward`); the stream loader decodes, stores and dead-letters, as it
does for the streaming collectors. The HTTP service is :mod:`~netargus.ingest.app`, run by
``netargus ingest`` (:mod:`~netargus.ingest.service`); its configuration is
``include/config/ingest.yaml`` (:mod:`~netargus.ingest.config`).
"""
