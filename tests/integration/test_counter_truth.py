"""The lab's interface counters advance at known rates; the rate math recovers them over SNMP."""

import asyncio
import time

from lab.recordings import octet_rate
from netargus.inventory.file import FileInventory
from netargus.protocols.snmp.client import SnmpClient
from netargus.transform.rates import Reading, Reason, counter_rate

IF_HC_IN_OCTETS = "1.3.6.1.2.1.31.1.1.1.6"
IF_IN_OCTETS = "1.3.6.1.2.1.2.2.1.10"
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"


def test_polled_octet_rates_match_the_lab_truth(lab, lab_credentials):
    devices = {d.name: d for d in FileInventory(lab.inventory()).load()}
    targets = [("lab-c3560", "1"), ("lab-mx960-a", "1"), ("lab-c3750", "1")]

    async def read_all() -> dict:
        client = SnmpClient()
        try:
            out = {}
            for name, if_index in targets:
                device = devices[name]
                oids = [f"{IF_HC_IN_OCTETS}.{if_index}", f"{IF_IN_OCTETS}.{if_index}", SYS_UPTIME]
                values = await client.get(device, lab_credentials("snmp", device.snmp.credentials),
                                             oids)
                # stamp at the response: a first v3 request spends a round trip on engine
                # discovery before the agent reads the counter (a stamp taken before the
                # request was seen 5.6% off over a 3 s interval)
                out[name] = (time.time(), [values[o] for o in oids])
            return out
        finally:
            client.close()

    first = asyncio.run(read_all())
    time.sleep(3)  # the measurement interval, not a wait for readiness
    second = asyncio.run(read_all())
    for name, if_index in targets:
        (t0, (hc0, c0, up0)), (t1, (hc1, c1, up1)) = first[name], second[name]
        assert None not in (hc0, c0, hc1, c1), f"{name} ifIndex {if_index} missing"
        truth = octet_rate(name, if_index)
        for bits, v0, v1 in ((64, hc0, hc1), (32, c0, c1)):
            rate = counter_rate(Reading(t0, v0, up0 / 100), Reading(t1, v1, up1 / 100), bits)
            assert rate.reason in (Reason.OK, Reason.WRAP32), (name, bits, rate)
            assert abs(rate.value - truth) / truth < 0.05, (name, bits, rate.value, truth)
