"""netargus: network telemetry into ClickHouse, orchestrated by Airflow 3.

The package holds everything DAGs call; only ``netargus.airflow`` imports Airflow.
"""

__version__ = "0.1.0"
