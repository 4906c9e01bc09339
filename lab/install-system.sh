#!/usr/bin/env bash
# Debian packages the lab needs; installs only what is missing (needs root or sudo).
# Debian's snmpd is P1's agents (the benchmark, and its smoke run in the tests).
set -euo pipefail
need=()
[ -x /usr/sbin/snmpd ] || need+=(snmpd)
command -v clickhouse-server >/dev/null || need+=(clickhouse-server)
command -v clickhouse-client >/dev/null || need+=(clickhouse-client)
command -v snmpget >/dev/null || need+=(snmp)
# the NETCONF device: netconfd (yuma123) behind OpenSSH's netconf subsystem
[ -x /usr/sbin/netconfd ] || need+=(netconfd)
[ -e /usr/lib/x86_64-linux-gnu/yuma/libietf-interfaces.so ] || need+=(netconfd-module-ietf-interfaces)
[ -e /usr/lib/x86_64-linux-gnu/yuma/libietf-system.so ] || need+=(netconfd-module-ietf-system)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
# the MQTT broker (issue 13's ingestion) and its clients (mosquitto_pub, for the README's examples)
[ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
command -v mosquitto_pub >/dev/null || need+=(mosquitto-clients)
command -v ip >/dev/null || need+=(iproute2)
[ -x /usr/bin/python3 ] || need+=(python3)
/usr/bin/python3 -c 'import dbm.ndbm' 2>/dev/null || need+=(python3)
[ ${#need[@]} -eq 0 ] && exit 0
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "==> apt-get install ${need[*]}"
# packages must not start their daemons (snmpd would take UDP 161): the lab starts its own
policy=/usr/sbin/policy-rc.d; made_policy=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod +x "$policy"; made_policy=1
fi
trap '[ -z "$made_policy" ] || $SUDO rm -f "$policy"' EXIT
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
