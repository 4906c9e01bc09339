"""Columnar INSERTs in ClickHouse's Native format, encoded with numpy.

clickhouse-driver encodes Enum8, String arrays and Nullable columns value by value in Python
(about 1.5 s of the 3.3 s a million samples took, ``bench.p2_sink``). Here each column of a
block is encoded as a whole, from what the samples share: a String column as one varuint-
prefixed encoding per distinct value gathered by index, an ``Array(String)`` column per
distinct array, Enum8 as an int8 array, numbers as their little-endian bytes. The block goes
over the driver's own connection (its query, compression and error handling), in the layout
of the Native protocol: ``BlockInfo``, column and row counts, then per column its name, type
and data (ClickHouse docs, "Native format"; the driver's ``streams/native.py``).

Only the types listed in :func:`encode` are encoded here, and only when the server's sample
block of the INSERT names exactly them; any other type (a modern server's
``LowCardinality(String)``, say) makes the whole block go through the driver's own encoders.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
from clickhouse_driver import defines
from clickhouse_driver.block import BlockInfo, ColumnOrientedBlock
from clickhouse_driver.protocol import ClientPacketTypes
from clickhouse_driver.varint import write_varint
from clickhouse_driver.writer import write_binary_str, write_binary_uint8

NUMBERS = {"UInt8": "<u1", "UInt16": "<u2", "UInt32": "<u4", "UInt64": "<u8",
           "Int8": "<i1", "Int16": "<i2", "Int32": "<i4", "Int64": "<i8",
           "Float32": "<f4", "Float64": "<f8", "DateTime": "<u4", "DateTime('UTC')": "<u4"}
ENUM_VALUE = re.compile(r"'((?:[^'\\]|\\.)*)'\s*=\s*(-?\d+)")


class Nullable:
    """A ``Nullable`` column as values and a mask: ``values[i]`` where ``present[i]``, else
    NULL (what is not present may hold anything). Sliced like a sequence."""

    __slots__ = ("present", "values")

    def __init__(self, values: Sequence[Any], present: np.ndarray) -> None:
        self.values, self.present = values, present

    def __len__(self) -> int:
        return len(self.values)

    def __getitem__(self, index: slice) -> Nullable:
        return Nullable(self.values[index], self.present[index])

    def present_values(self) -> tuple[np.ndarray, list[Any]]:
        """Where the column is not NULL (indexes), and its values there."""
        where = np.flatnonzero(self.present)
        return where, list(map(self.values.__getitem__, where.tolist()))

    def objects(self) -> np.ndarray:
        """The column as an object array with ``None`` for NULL (the driver's own form)."""
        out = np.full(len(self.values), None, dtype=object)
        where, values = self.present_values()
        out[where] = values
        return out


def driver_columns(data: Sequence[Any], use_numpy: bool) -> list[Any]:
    """``data`` as the driver's own encoders take it: with ``use_numpy`` every column a numpy
    array, else every column a list; a :class:`Nullable` one with ``None`` for NULL."""
    out = []
    for column in data:
        if isinstance(column, Nullable):
            column = column.objects()
        if not use_numpy:
            column = column.tolist() if isinstance(column, np.ndarray) else list(column)
        elif not isinstance(column, np.ndarray):
            objects = np.empty(len(column), dtype=object)
            objects[:] = column
            column = objects
        out.append(column)
    return out


class Unsupported(ValueError):
    """A column type this module does not encode (the driver's encoders take the block)."""


def _varuint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _gather(values: Sequence[Any], key: Any, encode: Any) -> bytes:
    """``encode`` each distinct ``key(value)`` once, then join the encodings of all values in
    order: the values of a block repeat (devices, metrics, label sets)."""
    if key is None:
        keys: Sequence[Any] = values
        distinct = {k: encode(k) for k in dict.fromkeys(values)}
    else:
        keys = list(map(key, values))
        distinct = {k: encode(v) for k, v in dict(zip(keys, values, strict=True)).items()}
    return b"".join(map(distinct.__getitem__, keys))


def _string(value: str) -> bytes:
    data = value.encode()
    return _varuint(len(data)) + data


def _strings(values: Sequence[str]) -> bytes:
    return _gather(values, None, _string)


def _string_arrays(values: Sequence[Sequence[str]]) -> bytes:
    """``Array(String)``: the offsets (UInt64, cumulative) of all rows, then every element."""
    lengths = np.fromiter(map(len, values), np.uint64, len(values))
    offsets = np.cumsum(lengths, dtype=np.uint64).astype("<u8").tobytes()
    return offsets + _gather(values, id, lambda items: b"".join(map(_string, items)))


def _enum8(type_name: str, values: Sequence[str]) -> bytes:
    codes = {name: int(code) for name, code in ENUM_VALUE.findall(type_name)}
    try:
        return np.fromiter(map(codes.__getitem__, values), np.int8, len(values)).tobytes()
    except KeyError as exc:
        raise ValueError(f"{exc.args[0]!r} is not a value of {type_name}") from None


def encode(type_name: str, values: Any) -> bytes:
    """One column's Native encoding.

    Args:
        type_name: the column's type as the server names it: a number type, ``DateTime``,
            ``String``, ``Enum8(...)``, ``Array(String)`` or ``Nullable(<number>)``.
        values: a sequence (numpy array or list) of the column's values, ``None`` for NULL;
            or a :class:`Nullable` for a ``Nullable`` type.

    Raises:
        Unsupported: another type.
        ValueError: a value the type cannot hold (an unknown enum name).
    """
    n = len(values)
    if type_name in NUMBERS:
        dtype = np.dtype(NUMBERS[type_name])
        if isinstance(values, np.ndarray) and values.dtype != object:
            return values.astype(dtype, copy=False).tobytes()
        return np.fromiter(values, dtype, n).tobytes()  # Python ints up to 2**64 - 1 exact
    if type_name == "String":
        return _strings(values)
    if type_name.startswith("Enum8("):
        return _enum8(type_name, values)
    if type_name == "Array(String)":
        return _string_arrays(values)
    if type_name.startswith("Nullable(") and type_name[9:-1] in NUMBERS:
        if isinstance(values, Nullable):
            inner = np.dtype(NUMBERS[type_name[9:-1]])
            data = np.zeros(n, inner)
            where, present = values.present_values()
            data[where] = np.fromiter(present, inner, where.size)
            return (~values.present).astype(np.uint8).tobytes() + data.tobytes()
        objects = np.asarray(values, dtype=object)
        null = objects == None  # noqa: E711 (elementwise, in C)
        filled = np.where(null, 0, objects)
        return null.astype(np.uint8).tobytes() + encode(type_name[9:-1], filled.tolist())
    raise Unsupported(type_name)


def insert(client: Any, table: str, columns: Sequence[str], data: Sequence[Any],
           settings: dict[str, Any] | None = None, block_rows: int = 100_000) -> int:
    """INSERT ``data`` (one sequence per column of ``columns``, all of one length) into
    ``table`` through ``client`` (a clickhouse-driver ``Client``, with ``settings`` as for its
    ``execute``); returns the rows inserted. A block with a type this module does not encode
    goes through the driver's encoders instead.

    The rows go as one INSERT of Native blocks of ``block_rows``, and the server is told to
    write each block as it arrives (``min_insert_block_size_rows``) rather than gather them
    all first, so it stores one block while this process encodes the next (a million samples:
    0.79 s against 1.26 s as ten INSERTs, ``bench.p2_sink``). As with separate INSERTs, a
    failure halfway can leave the blocks before it stored; the caller's retry then repeats
    them and they collapse in the ReplacingMergeTree tables.

    Raises:
        clickhouse_driver.errors.Error: the server refused the INSERT.
        ValueError: a value its column cannot hold.
    """
    rows = len(data[0]) if data else 0
    if not rows:
        return 0
    query = f"INSERT INTO {table} ({', '.join(columns)}) VALUES"
    settings = dict(settings or {})
    if rows > block_rows:
        settings.setdefault("min_insert_block_size_rows", block_rows)
        settings.setdefault("min_insert_block_size_bytes", 0)
    with client.disconnect_on_error(query, settings):
        conn = client.connection
        conn.send_query(query)
        conn.send_external_tables(None)
        sample = client.receive_sample_block()
        types = [t for _, t in sample.columns_with_types]
        try:
            for start in range(0, rows, block_rows):
                block = [column[start:start + block_rows] for column in data]
                encoded = [encode(t, column) for t, column in zip(types, block, strict=True)]
                _send_block(conn, sample.columns_with_types, encoded, len(block[0]))
                client.receive_profile_events()  # servers that send them do so per block
        except Unsupported:
            if start:  # every block is encoded by the same types: only the first can fail
                raise
            client.send_data(sample, driver_columns(data, bool(settings.get("use_numpy"))),
                             types_check=False, columnar=True)
        else:
            conn.send_data(ColumnOrientedBlock())  # an empty block ends the data
            client.receive_profile_events()
        client.receive_end_of_insert_query()
    return rows


def _send_block(conn: Any, columns_with_types: Sequence[tuple[str, str]],
                encoded: Sequence[bytes], rows: int) -> None:
    """One Data packet holding a block, as the driver's ``Connection.send_data`` writes it."""
    revision = conn.server_info.used_revision
    write_varint(ClientPacketTypes.DATA, conn.fout)
    if revision >= defines.DBMS_MIN_REVISION_WITH_TEMPORARY_TABLES:
        write_binary_str("", conn.fout)  # no external table name
    out = conn.block_out  # compresses on finalize() when the client compresses
    if revision >= defines.DBMS_MIN_REVISION_WITH_BLOCK_INFO:
        BlockInfo().write(out.fout)
    write_varint(len(encoded), out.fout)
    write_varint(rows, out.fout)
    for (name, type_name), data in zip(columns_with_types, encoded, strict=True):
        write_binary_str(name, out.fout)
        write_binary_str(type_name, out.fout)
        if revision >= defines.DBMS_MIN_REVISION_WITH_CUSTOM_SERIALIZATION:
            write_binary_uint8(0, out.fout)
        out.fout.write(data)
    out.finalize()
