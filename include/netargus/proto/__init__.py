"""Protocol Buffers definitions of the streaming telemetry protocols, and their generated code.

The ``*_pb2.py``/``*_pb2_grpc.py`` modules are generated from the ``.proto`` files beside them
by ``make protos`` (grpcio-tools, pinned in requirements-dev.txt); a unit test checks they are
current. gNMI's official protos come with ``pygnmi`` (``pygnmi.spec.v080``).
See each ``.proto`` header for its origin and license.
"""
