"""The NETCONF collector against the lab's real NETCONF server: Debian's netconfd (yuma123, with
ietf-interfaces and ietf-system) behind OpenSSH's netconf subsystem, reporting this machine's
interfaces."""

from datetime import UTC, datetime

import pytest

from netargus.auth import NetconfAuth
from netargus.model import PollOutcome
from netargus.profiles import Traits
from netargus.protocols.netconf.client import NetconfClient, NetconfFailure, modules
from netargus.protocols.netconf.yang import IETF_INTERFACES, extract
from tests.helpers.wait import wait_until


def creds(lab, conn_id: str = "netconf_lab", **change) -> NetconfAuth:
    c = lab.connections()[conn_id]
    base = NetconfAuth.from_connection(c.get("login"), c.get("password"), c.get("extra"))
    return NetconfAuth(**{**base.__dict__, **change})


def poll(lab, **kw):
    with NetconfClient("127.0.0.1", lab.netconf_port, creds(lab), **kw) as nc:
        return extract(nc.get(subtree=IETF_INTERFACES.subtree), IETF_INTERFACES, "lab-netconf",
                       datetime.now(UTC))


def test_capabilities_list_the_yang_modules(lab):
    with NetconfClient("127.0.0.1", lab.netconf_port, creds(lab)) as nc:
        mods = modules(nc.capabilities())
    assert mods["ietf-interfaces"] == "2014-05-08" and "ietf-system" in mods


def test_interface_counters_move_between_two_polls(lab):
    first = {(s.metric, s.series): s.value for s in poll(lab)}
    key = ("interface.in_octets", "ifName=lo")
    second: dict = {}

    def moved() -> bool:  # each session's own SSH traffic goes over lo
        second.update({(s.metric, s.series): s.value for s in poll(lab)})
        return second[key] > first[key]

    wait_until(moved, 20, "lo's in-octets to move between two polls")
    assert type(second[key]) is int  # a counter64, exact
    assert {m for m, _ in second} >= {"interface.in_octets", "interface.out_octets",
                                      "interface.oper_status"}


@pytest.mark.parametrize(("change", "outcome", "text"), [
    ({"conn_id": "netconf_lab_wrong"}, PollOutcome.AUTH_FAILURE, "authentication failed"),
    ({"host_key": "AAAAC3NzaC1lZDI1NTE5AAAAIHhSqBYS+d9NFkN9vMdLgmLgB9Ts8FiKm3sq3Q4H8a6z"},
     PollOutcome.AUTH_FAILURE, "host key"),
    ({"port": 1}, PollOutcome.NETWORK_FAILURE, "Could not open socket"),
])
def test_failures_become_poll_outcomes(lab, change, outcome, text):
    port = change.pop("port", lab.netconf_port)
    c = creds(lab, **change) if "conn_id" not in change else creds(lab, change["conn_id"])
    with pytest.raises(NetconfFailure) as err:
        with NetconfClient("127.0.0.1", port, c, timeout=5):
            pass
    assert err.value.outcome == outcome and text in str(err.value)
    assert "not-the-password" not in str(err.value)


def test_a_filter_the_server_rejects_gives_its_rpc_error(lab):
    with NetconfClient("127.0.0.1", lab.netconf_port, creds(lab)) as nc:
        with pytest.raises(NetconfFailure) as err:
            nc.get(xpath="/if:interfaces-state[[")
    assert err.value.outcome == PollOutcome.PARTIAL
    assert str(err.value).startswith("rpc-error bad-attribute")


def test_a_profile_group_the_server_refuses_is_recorded_not_raised(lab):
    """A polling job with one good group and one whose filter the server rejects: the device
    is 'partial' with the server's error-tag, the good group's samples are kept; with only
    the bad group it is 'missing_metrics'."""
    import asyncio

    from netargus.jobs.polling import poll
    from netargus.model import Device, NetconfSettings
    from netargus.profiles import load_profiles
    from netargus.settings import profiles_path

    device = Device(name="lab-netconf", host="127.0.0.1",
                    netconf=NetconfSettings("netconf_lab", lab.netconf_port, 5))
    good = load_profiles(profiles_path()).metric_groups["netconf_interface_counters"]
    bad = good.model_copy(update={"netconf": good.netconf.model_copy(
        update={"subtree": None, "xpath": "/if:interfaces-state[["})})
    traits = Traits(modules=("ietf-interfaces",))

    def run(groups):
        report = asyncio.run(poll([(device, traits)], groups, lab.auth, datetime.now(UTC)))
        (result,) = report.results
        return report.samples, result

    samples, result = run({"good": good, "bad": bad})
    assert result.status == PollOutcome.PARTIAL and result.source == "netconf"
    assert result.error.startswith("bad: rpc-error bad-attribute") and samples
    assert {s.device for s in samples} == {"lab-netconf"}
    assert result.sample_count == len(samples)
    samples, result = run({"bad": bad})
    assert result.status == PollOutcome.MISSING_METRICS and not samples
    assert result.error.startswith("bad: rpc-error bad-attribute")
