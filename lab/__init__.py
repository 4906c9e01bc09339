"""The local lab: real services on 127.0.0.1 for the demo and the tests (no Docker needed).

ClickHouse (Debian's clickhouse-server), a Kafka-protocol broker (Tansu), SNMP agents
replaying recordings of real devices (snmpsim), and Airflow 3 (its four components).
``python -m lab`` starts, stops and reports them; tests start their own instance on other ports.
"""
