"""NETCONF over SSH as a netargus protocol: the driver and session.

The session answers the protocol contract (:mod:`netargus.protocols`) with the NETCONF pieces:
capabilities and ietf-system for :meth:`~NetconfSession.discover` (YANG modules and revisions
into ``netconf_capabilities``), ietf-interfaces or openconfig-interfaces for
:meth:`~NetconfSession.dimensions`, and a profile's ``netconf`` groups (a subtree or XPath
``<get>`` and the YANG list to read, :class:`.yang.YangList`) for :meth:`~NetconfSession.poll`.
ncclient blocks, so each call runs in a worker thread. A filter the server refuses is an
``rpc-error``: that group's problem, never the other groups' loss. Errors become the same
outcomes as every protocol's (:func:`.client.judge`).
"""
