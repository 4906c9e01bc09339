"""Counter -> rate judgment on hand-made sequences, each value worked out by hand."""

import pytest

from netargus.transform.rates import (
    TICKS_WRAP_S,
    WRAP32,
    WRAP64,
    Rate,
    Reading,
    Reason,
    Restart,
    counter_rate,
    judge,
    restart,
)

GBIT = 137_500_000.0  # octets/s a 1 Gbit/s port carries, with 10 % headroom
CEILING = 1.25e11


def got(rates):
    return [(r.value, r.reason.value) for r in rates]


def steady(values, t0=0.0, step=60.0, **kw):
    return [Reading(t0 + i * step, v, **kw) for i, v in enumerate(values)]


def test_steady_counter():
    assert judge(steady([1000, 61000, 181000])) == [Rate(0, 60, 1000.0, Reason.OK),
                                                    Rate(60, 120, 2000.0, Reason.OK)]


def test_counter_values_above_2_53_are_differenced_exactly():
    base = 2**63 + 1  # a float cannot tell base from base + 1000
    assert got(judge(steady([base, base + 1000]))) == [(1000 / 60, "ok")]


def test_counter32_wrap_at_the_usual_pace():
    # 600 octets per minute; the counter crosses the top in the third interval
    seq = steady([WRAP32 - 900, WRAP32 - 300, 300, 900], limit=GBIT)
    assert got(judge(seq, bits=32)) == [(10.0, "ok"), (10.0, "wrap32"), (10.0, "ok")]


def test_counter64_wrap_near_the_top():
    seq = steady([WRAP64 - 61_000, WRAP64 - 1000, 59_000], limit=GBIT)
    assert got(judge(seq, bits=64)) == [(1000.0, "ok"), (1000.0, "wrap64")]


def test_a_drop_far_from_the_top_is_a_discontinuity_not_a_wrap():
    # 32-bit octets at 1 MB/s cleared from 2.06e9 to 5,000 (bug case 03): a "wrap" would be
    # 2.23e9 octets in 60 s, 37 times the traffic before and after
    seq = steady([2_000_000_000, 2_060_000_000, 5_000, 60_005_000], t0=0.5, limit=GBIT)
    assert got(judge(seq, bits=32)) == [(1e6, "ok"), (None, "discontinuity"), (1e6, "ok")]


def test_a_32bit_error_counter_clear_is_not_4_billion_errors():
    # bug case 03, in_errors 1500 -> 1520 -> 3 -> 10 with no speed known
    assert got(judge(steady([1500, 1520, 3, 10]), bits=32)) == [
        (20 / 60, "ok"), (None, "discontinuity"), (7 / 60, "ok")]


def test_a_wrap_with_no_evidence_is_taken_only_from_the_top_sixteenth():
    assert got(judge(steady([WRAP32 - 200, 100]), bits=32)) == [(300 / 60, "wrap32")]
    assert got(judge(steady([300, 100]), bits=32)) == [(None, "discontinuity")]


def test_sysuptime_rollover_at_497_days_is_not_a_reboot():
    # bug case 01: the uptime wrapped between the 2nd and 3rd poll, counters went on
    up = [TICKS_WRAP_S - 100, TICKS_WRAP_S - 40, 20.0, 80.0]
    seq = [Reading(t + 0.5, 4 * 10**13 + 10**6 * t, uptime=u + 0.5)
           for t, u in zip([0, 60, 120, 180], up, strict=True)]
    assert got(judge(seq, ceiling=CEILING)) == [(1e6, "ok")] * 3


def test_agent_restart_with_counters_going_on_is_not_a_reboot():
    # sysUpTime restarted (the agent did), the counters held far more than any link could
    # count in the 20 s since: they went on
    seq = [Reading(0, 4 * 10**13, uptime=9000), Reading(60, 4 * 10**13 + 6e7, uptime=20)]
    assert got(judge(seq, ceiling=CEILING)) == [(1e6, "ok")]


def test_agent_restart_of_a_packet_counter_with_history():
    # snmpd restarted (sysUpTime 20 s), packets kept counting at 1,000/s
    seq = [Reading(t, 4 * 10**10 + 1000 * t, uptime=u)
           for t, u in ((0, 9000.0), (60, 9060.0), (120, 20.0), (180, 80.0))]
    assert got(judge(seq, ceiling=2e9)) == [(1000.0, "ok")] * 3


def test_a_restart_with_a_counter_small_enough_to_have_restarted_is_withheld():
    # 1/s before; after the restart the counter holds 130: it could have counted that since
    # the restart 20 s ago at up to ten times its pace, so whether it went on is unknown
    seq = [Reading(0, 40, uptime=9000), Reading(60, 100, uptime=9060),
           Reading(120, 130, uptime=20)]
    assert got(judge(seq, ceiling=CEILING)) == [(1.0, "ok"), (None, "reboot")]


def test_reboot_resets_the_counters_no_value():
    seq = [Reading(0, 9_999_999, uptime=1000), Reading(60, 4000, uptime=20)]
    assert got(judge(seq, bits=32)) == [(None, "reboot")]


def test_reboot_wins_over_a_wrap_explanation():
    seq = [Reading(0, WRAP32 - 10, uptime=500), Reading(30, 10, uptime=5)]
    assert got(judge(seq, bits=32)) == [(None, "reboot")]


def test_host_uptime_tells_a_reboot_even_when_counters_rose():
    seq = [Reading(0, 100, uptime=500, host_uptime=800),
           Reading(60, 5000, uptime=30, host_uptime=30)]
    assert restart(*seq) is Restart.REBOOT
    assert got(judge(seq, ceiling=CEILING)) == [(None, "reboot")]


def test_host_uptime_going_on_makes_a_sysuptime_drop_an_agent_restart():
    seq = [Reading(0, 100, uptime=500, host_uptime=800),
           Reading(60, 700, uptime=30, host_uptime=860)]
    assert restart(*seq) is Restart.AGENT
    assert got(judge(seq, ceiling=CEILING)) == [(10.0, "ok")]


def test_host_uptime_rollover_is_not_a_reboot():
    seq = [Reading(0, 100, uptime=500, host_uptime=TICKS_WRAP_S - 10),
           Reading(60, 700, uptime=560, host_uptime=50)]
    assert restart(*seq) is Restart.NONE


def test_unchanged_engine_boots_rule_out_a_restart():
    # sysUpTime lower but snmpEngineBoots unchanged: no restart (RFC 3414 engine boots)
    seq = [Reading(0, 100, uptime=500, engine_boots=7), Reading(60, 700, uptime=3, engine_boots=7)]
    assert restart(*seq) is Restart.NONE
    assert got(judge(seq)) == [(10.0, "ok")]
    seq = [Reading(0, 100, uptime=500, engine_boots=7), Reading(60, 40, uptime=3, engine_boots=8)]
    assert got(judge(seq)) == [(None, "reboot")]


def test_counter_discontinuity_time_withholds_even_a_rise():
    # IF-MIB ifCounterDiscontinuityTime changed: the counters were reset (and grew past)
    seq = [Reading(0, 100, discontinuity=12.0), Reading(60, 700, discontinuity=3000.5),
           Reading(120, 1300, discontinuity=3000.5)]
    assert got(judge(seq)) == [(None, "discontinuity"), (10.0, "ok")]


def test_width_change_between_readings_is_a_discontinuity():
    seq = [Reading(0, 100, bits=32), Reading(60, 700, bits=64), Reading(120, 1300, bits=64)]
    assert got(judge(seq)) == [(None, "discontinuity"), (10.0, "ok")]


def test_one_zero_reading_is_a_glitch_and_the_next_is_rated_against_the_last_good():
    # bug case 04 (a): 1,000 pps, one poll reads 0
    seq = steady([10**9, 10**9 + 60_000, 0, 10**9 + 180_000], t0=0.5)
    rates = judge(seq, ceiling=2e9)
    assert got(rates) == [(1000.0, "ok"), (None, "glitch"), (1000.0, "ok")]
    assert (rates[2].start, rates[2].end) == (60.5, 180.5)
    # live, before the next poll: withheld, never 16.7 million packets/s
    assert got(judge(seq[:3], ceiling=2e9)) == [(1000.0, "ok"), (None, "discontinuity")]


def test_a_small_step_back_is_a_glitch_not_a_32bit_wrap():
    # bug case 04 (b): the public report's 32-bit octets dipping 5,095 once, ifHighSpeed 1000
    values = [3717324887, 3717616438, 3717611343, 3717798920, 3718060786]
    seq = steady(values, t0=0.5, limit=GBIT)
    rates = judge(seq, bits=32, ceiling=CEILING)
    assert got(rates) == [(291551 / 60, "ok"), (None, "glitch"),
                          (182482 / 120, "ok"), (261866 / 60, "ok")]
    live = judge(seq[:3], bits=32, ceiling=CEILING)
    assert got(live)[-1] == (None, "discontinuity")  # not 71.6 MB/s


def test_one_reading_that_jumps_up_and_comes_back_is_a_glitch():
    seq = steady([1000, 61000, 2**64 - 1, 181000])
    assert got(judge(seq, ceiling=CEILING)) == [(1000.0, "ok"), (None, "glitch"),
                                                (1000.0, "ok")]


def test_lying_speed_keeps_the_measured_value_flagged():
    # a 10 Mbit/s ifHighSpeed on a port carrying 50 Mbit/s (6.25 MB/s)
    ten = 1_375_000.0
    seq = steady([0, 375_000_000, 750_000_000, 1_125_000_000], limit=ten)
    assert got(judge(seq, ceiling=CEILING)) == [(6.25e6, "over_speed")] * 3
    # the newest alone: withheld until the next poll shows the counter went on
    assert got(judge(seq[:2], ceiling=CEILING)) == [(None, "over_speed")]


def test_beyond_any_link_is_implausible():
    seq = steady([0, 10**13])
    assert got(judge(seq, ceiling=CEILING)) == [(None, "implausible")]


def test_a_wrap_during_a_traffic_surge_is_confirmed_by_the_next_poll():
    # 10/s, then 5,000/s across the top: more than ten times the rate before it, so the
    # newest reading is withheld; the next poll shows the counter going on at 5,000/s
    seq = steady([WRAP32 - 300_600, WRAP32 - 300_000, 0, 300_000], limit=GBIT)
    assert got(judge(seq[:3], bits=32)) == [(10.0, "ok"), (None, "discontinuity")]
    assert got(judge(seq, bits=32)) == [(10.0, "ok"), (5000.0, "wrap32"), (5000.0, "ok")]


def test_counter_rate_is_one_pair_judged_alone():
    assert counter_rate(Reading(0, WRAP32 - 100), Reading(60, 500), bits=32) == \
        Rate(0, 60, 10.0, Reason.WRAP32)
    assert counter_rate(Reading(0, 0), Reading(10, 10**9), max_rate=1e6).reason is \
        Reason.OVER_SPEED
    with pytest.raises(ValueError, match="bits"):
        counter_rate(Reading(0, 0), Reading(1, 1), bits=16)
    with pytest.raises(ValueError, match="out of order"):
        counter_rate(Reading(5, 0), Reading(5, 1))


def test_a_frozen_host_uptime_is_no_evidence_of_a_reboot():
    # some agents report an hrSystemUptime that never moves: neither a reboot nor proof
    # against one; sysUpTime (going on) decides
    seq = [Reading(0, 100, uptime=500, host_uptime=86_400),
           Reading(60, 700, uptime=560, host_uptime=86_400)]
    assert restart(*seq) is Restart.NONE
    assert got(judge(seq)) == [(10.0, "ok")]
    seq = [Reading(0, 100, uptime=500, host_uptime=86_400),
           Reading(60, 40, uptime=30, host_uptime=86_400)]
    assert restart(*seq) is Restart.UNKNOWN
    assert got(judge(seq, ceiling=1e9)) == [(None, "reboot")]
