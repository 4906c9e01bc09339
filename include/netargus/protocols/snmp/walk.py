"""The bookkeeping of an SNMP table walk, apart from the network: which columns are still
walked, where each stands, when each ends, and why.

A walk asks for the next instance of every column still in progress in one request (GETBULK
with ``max-repetitions``, or GETNEXT), as ``snmpbulkwalk`` of a table does. A column ends:

- normally, when the agent answers with an OID outside the column, ``endOfMibView``
  (SNMPv2, RFC 3416 §4.2.3), or error-status ``noSuchName`` at the column's error-index
  (SNMPv1 has no endOfMibView: RFC 1157 §4.1.3 answers a GETNEXT past the end of the view
  with noSuchName). Only the column at the error-index ends; the walk goes on with the
  others, as net-snmp's snmpwalk does;
- with a :class:`WalkProblem` (the caller records ``partial``, naming the column), when the
  agent returns an OID not greater than the one asked for (a looping agent: ended at once),
  returns more rows than the table can plausibly hold (``2 x expected + 16``: an agent that
  counts upwards for ever), reports another error at the column's error-index, or stops
  answering halfway.

So every walk ends, and it sends at most about ``row_limit(expected_rows)`` requests even when
the agent answers with one row each time: the bound follows the table's expected size (for
IF-MIB tables, ifNumber), never a fixed large number.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from netargus.protocols.snmp.ber import Oid, parse_oid
from netargus.protocols.snmp.values import END_OF_MIB_VIEW

DEFAULT_EXPECTED_ROWS = 10_000


def row_limit(expected_rows: int) -> int:
    """The most rows one column may return before the walk stops it: twice the expected size
    plus 16 (agents' row counts run ahead of ifNumber by a few, never by double)."""
    return 2 * max(0, expected_rows) + 16


@dataclass(frozen=True)
class WalkProblem:
    """A column that ended before the agent said it was complete, and why."""

    column: str
    reason: str

    def __str__(self) -> str:
        return f"{self.column}: {self.reason}"


@dataclass
class WalkResult:
    """What a walk read: ``columns`` maps each column OID to ``{index: value}`` (values as
    :func:`~netargus.protocols.snmp.values.plain` gives them, undecoded); ``problems`` lists the
    columns that ended early (empty when the walk is complete); ``requests`` counts the PDUs
    sent."""

    columns: dict[str, dict[str, Any]]
    problems: list[WalkProblem] = field(default_factory=list)
    requests: int = 0

    def column(self, oid: str) -> dict[str, Any]:
        """``{index: value}`` of column ``oid`` (empty when it was not walked or had no rows)."""
        return self.columns.get(oid, {})


class TableWalk:
    """The state of one walk of ``columns``; the driver (``SnmpClient.walk``) asks
    :meth:`request` what to send and feeds back the answer with :meth:`take` or
    :meth:`take_error` until :attr:`done`.

    Args:
        columns: column OIDs (``1.3.6.1.2.1.2.2.1.2``); duplicates are walked once.
        expected_rows: how many rows the table should have (bounds the walk, see
            :func:`row_limit`).
    """

    def __init__(self, columns: Iterable[str], expected_rows: int = DEFAULT_EXPECTED_ROWS
                 ) -> None:
        names = list(dict.fromkeys(c.strip().lstrip(".") for c in columns))
        self.result = WalkResult({c: {} for c in names})
        self.expected_rows = expected_rows
        self.limit = row_limit(expected_rows)
        self.max_requests = self.limit + len(names) + 4
        self._prefix = {c: parse_oid(c) for c in names}
        self._cursor: dict[str, Oid] = dict(self._prefix)
        self.active: list[str] = names

    @property
    def done(self) -> bool:
        return not self.active

    def cursor(self, column: str) -> str:
        """Where ``column`` stands: the last OID read from it (the column itself at first)."""
        return ".".join(map(str, self._cursor[column]))

    def cursor_arcs(self, column: str) -> Oid:
        """:meth:`cursor` as a tuple of arcs."""
        return self._cursor[column]

    def request(self) -> list[str]:
        """The columns to ask for next (their cursors in :meth:`cursor`), in the order the
        answer's variable bindings will follow; empty when the walk is over, including when
        its request budget is spent (each remaining column then gets a problem)."""
        if self.active and self.result.requests >= self.max_requests:
            self.stop(f"no end after {self.result.requests} requests")
        if not self.active:
            return []
        self.result.requests += 1
        return list(self.active)

    def end(self, column: str, reason: str = "") -> None:
        """Stop walking ``column``; a ``reason`` records it as a problem."""
        if column in self.active:
            self.active.remove(column)
            if reason:
                self.result.problems.append(WalkProblem(column, reason))

    def stop(self, reason: str) -> None:
        """End every column still in progress with ``reason`` (a timeout halfway, a budget)."""
        for column in list(self.active):
            self.end(column, reason)

    def take(self, sent: Sequence[str], var_binds: Sequence[tuple[Any, Any]]) -> None:
        """Read one answer to a request for ``sent`` (as :meth:`request` returned it).

        ``var_binds`` are ``(oid, value)`` pairs, ``oid`` a tuple of arcs or dotted text and
        ``value`` plain (:mod:`~netargus.protocols.snmp.values`; endOfMibView as
        :data:`~netargus.protocols.snmp.values.END_OF_MIB_VIEW`), row-major: the
        n-th binding answers ``sent[n % len(sent)]`` (RFC 3416 §4.2.3, one row for GETNEXT).
        A truncated answer is fine: columns it left out are asked again; an answer that moves
        no column at all ends the walk with a problem rather than asking forever.
        """
        width = len(sent)
        moved = False
        closed: set[str] = set()
        for i, (oid, value) in enumerate(var_binds):
            column = sent[i % width]
            if column in closed or column not in self.active:
                continue
            prefix, at = self._prefix[column], _oid(oid)
            if value is END_OF_MIB_VIEW or at[:len(prefix)] != prefix:
                closed.add(column)
                self.end(column)
                continue
            if at <= self._cursor[column]:
                closed.add(column)
                self.end(column, f"agent returned {'.'.join(map(str, at))} after "
                                 f"{self.cursor(column)} (OID not increasing)")
                continue
            self._cursor[column] = at
            moved = True
            rows = self.result.columns[column]
            rows[".".join(map(str, at[len(prefix):]))] = value
            if len(rows) >= self.limit:
                closed.add(column)
                self.end(column, f"more than {self.limit} rows (about {self.expected_rows} "
                                 "expected)")
        if not moved and not closed:
            self.stop("the agent's answer held no value for the columns asked")

    def take_error(self, sent: Sequence[str], status: str, index: int) -> bool:
        """Read an error-status answer to a request for ``sent``.

        ``noSuchName`` at error-index ``i`` (1-based) ends column ``sent[i-1]`` normally
        (SNMPv1's end of the view, RFC 1157 §4.1.3), and any other column that stood at the
        same OID; another error at a valid index ends that column with a problem.

        Returns:
            False when the error names no column (error-index 0 or out of range): the
            caller decides (tooBig, a request the agent refuses as a whole).
        """
        if not 1 <= index <= len(sent):
            return False
        column = sent[index - 1]
        at = self._cursor[column]
        for other in sent:
            if self._cursor[other] == at:
                if status == "noSuchName":
                    self.end(other)
                else:
                    self.end(other, f"agent error {status} after {self.cursor(other)}")
        return True


def _oid(oid: Any) -> Oid:
    return oid if isinstance(oid, tuple) else parse_oid(str(oid))  # hand-fed answers (tests)
