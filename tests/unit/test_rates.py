"""Counter -> rate math on synthetic sequences with exact expected values."""

import pytest

from netargus.transform.rates import WRAP32, WRAP64, Rate, Reading, Reason, counter_rate, rates


def test_steady_counter():
    seq = [Reading(0, 1000), Reading(60, 61000), Reading(120, 181000)]
    assert rates(seq) == [Rate(0, 60, 1000.0, Reason.OK), Rate(60, 120, 2000.0, Reason.OK)]


def test_counter32_wrap():
    # 100 octets before the top, then 500 after it: 600 octets in 60 s
    r = counter_rate(Reading(0, WRAP32 - 100), Reading(60, 500), bits=32)
    assert r == Rate(0, 60, 10.0, Reason.WRAP32)


def test_counter64_wrap_near_the_top():
    r = counter_rate(Reading(0, WRAP64 - 1000), Reading(10, 9000), bits=64)
    assert r.reason is Reason.WRAP64 and r.value == 1000.0


def test_counter64_drop_is_a_discontinuity_not_a_wrap():
    r = counter_rate(Reading(0, 5_000_000), Reading(10, 100), bits=64)
    assert r == Rate(0, 10, None, Reason.DISCONTINUITY)


def test_reboot_uses_the_value_since_boot():
    # uptime went from 1000 s to 20 s: 20 s of counting since boot gave 4000 octets
    prev = Reading(0, 9_999_999, uptime=1000)
    cur = Reading(60, 4000, uptime=20)
    assert counter_rate(prev, cur, bits=32) == Rate(0, 60, 200.0, Reason.REBOOT)


def test_reboot_wins_over_a_wrap_explanation():
    r = counter_rate(Reading(0, WRAP32 - 10, uptime=500), Reading(30, 10, uptime=5), bits=32)
    assert r.reason is Reason.REBOOT and r.value == 2.0


def test_implausible_jump_beyond_interface_speed():
    speed = 1_000_000_000 / 8  # 1 Gbit/s in octets per second
    r = counter_rate(Reading(0, 0), Reading(10, speed * 10 * 3), max_rate=speed * 1.05)
    assert r == Rate(0, 10, None, Reason.IMPLAUSIBLE)


def test_a_32bit_drop_too_big_to_be_a_wrap_is_a_discontinuity():
    speed = 10_000_000 / 8  # 10 Mbit/s: a wrap would mean ~4 GB in 60 s, impossible
    r = counter_rate(Reading(0, 3_000_000_000), Reading(60, 1_000), bits=32, max_rate=speed)
    assert r == Rate(0, 60, None, Reason.DISCONTINUITY)


def test_sequence_through_wrap_reboot_and_reset():
    seq = [
        Reading(0, WRAP32 - 600, uptime=100),
        Reading(60, 600, uptime=160),          # wrap32: 1200 octets / 60 s
        Reading(120, 6600, uptime=220),        # ok: 100/s
        Reading(180, 300, uptime=30),          # reboot: 300 octets / 30 s
        Reading(240, 100, uptime=90),          # reset without reboot
        Reading(300, 3100, uptime=150),        # ok again: 50/s
    ]
    # a 10 Mbit/s port: a "wrap" from 300 to 100 would mean 71 MB/s, so it is a reset
    got = [(r.value, r.reason.value) for r in rates(seq, bits=32, max_rate=10e6 / 8)]
    assert got == [(20.0, "wrap32"), (100.0, "ok"), (10.0, "reboot"),
                   (None, "discontinuity"), (50.0, "ok")]


def test_without_a_known_speed_a_32bit_drop_is_taken_as_a_wrap():
    r = counter_rate(Reading(0, 300), Reading(60, 100), bits=32)
    assert r.reason is Reason.WRAP32 and r.value == (WRAP32 - 200) / 60


def test_bad_arguments():
    with pytest.raises(ValueError, match="bits"):
        counter_rate(Reading(0, 0), Reading(1, 1), bits=16)
    with pytest.raises(ValueError, match="out of order"):
        counter_rate(Reading(5, 0), Reading(5, 1))
