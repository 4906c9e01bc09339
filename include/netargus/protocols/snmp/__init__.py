"""SNMP (v1, v2c, v3 authPriv; IPv4 and IPv6) as a netargus protocol: the driver and session.

The session answers the protocol contract (:mod:`netargus.protocols`) with the SNMP pieces:
the system group for :meth:`~SnmpSession.discover` (vendor and platform from sysObjectID,
:mod:`netargus.vendors`), IF-MIB, ENTITY-MIB, LLDP-MIB, IP-MIB and BRIDGE/Q-BRIDGE-MIB tables
for :meth:`~SnmpSession.dimensions` (:mod:`.tables`), sysUpTime, hrSystemUptime and
snmpEngineBoots for :meth:`~SnmpSession.state` and a profile's scalars and tables for
:meth:`~SnmpSession.poll` (:mod:`.metrics`). Requests go through one :class:`.client.
SnmpClient` per driver, which shares engines between devices (:mod:`.client`); walks are
bounded and adapt to the agent (:mod:`.walk`); values come back undecoded (:mod:`.values`) and
are decoded by what their MIB column is (:mod:`.text`).
"""
