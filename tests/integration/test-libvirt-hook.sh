#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The libvirt integration tier: a real libvirtd and virtlogd, real QEMU
# (TCG), the real gpupool hook, driven by real virsh define/start/destroy.
#
# Everything runs in a private mount namespace with tmpfs over libvirt's
# directories (/etc/libvirt, /run, /var/lib/libvirt, /var/log/libvirt,
# /var/cache/libvirt), so the machine's own libvirt is neither seen nor
# touched, and nothing is left behind: the daemons, the guests and any
# `gpupool rebalance` the hook started are stopped by process id on every
# exit.  gpupool itself runs against a simulated sysfs (tests/integration/
# gp-it-host) with pool "gpus"; libvirt looks at the real /sys, where the
# pool's devices do not exist, so a start that gets past the hook fails in
# libvirt afterwards, which is what several steps rely on.
#
# libvirt gives hooks a minimal environment (HOME, PATH, LC_ALL, PWD), so
# the hook installed here is a test-only wrapper that sets GPUPOOL_* and
# execs the built gpupool-hook; an installed gpupool needs no wrapper (its
# hook directory holds a symlink).
#
# Steps:
#   a  a domain without a gpupool request starts untouched, no state appears
#   b  a pool domain whose device cannot be opened here: the hook claims at
#      prepare, libvirt fails afterwards, release gives the device back
#   c  N concurrent starts for a pool of M < N devices: never one device
#      for two domains; the losers' errors name the holder
#   d  gpupool assign/unassign against the daemon: the persistent
#      definition gains and loses exactly gpupool's parts
#   e  libvirtd restarts under a running domain: the reconnect hook leaves
#      it running
#   f  a domain without gpupool metadata whose own <hostdev> names a pool
#      device is refused at prepare, in one line, and nothing is claimed;
#      assign refuses it too, saying to remove the <hostdev>
#   g  gpupool migrate-check against the daemon: never for whole devices;
#      for partitions only where the QEMU libvirt runs can migrate VFIO
#      devices, and the answer names that QEMU as 'virsh version' does
#   i  assign --restart of a running domain: stopped, the new definition
#      started (the hook claims, libvirt fails), the previous definition
#      defined and started again, one line and exit 1
#   j  assign and unassign of several domains in one call
#   k  copies made by real virt-clone of pci, vf and mdev pool domains:
#      detected, refused with what the hook's rebalance does about it, or
#      started on a free unit, and re-pointed to a unit of their own
#   h  every refusal virsh showed is in the system log (a private
#      /dev/log the suite reads), with the domain's name and UUID
#   l  boot storm: 32 domains started at once for a pool of 8 devices
#      (four domains reserve each): exactly 8 pass gpupool and hold their
#      device until every other start has been refused, each refusal is
#      one line naming the holder, and nothing is held afterwards; the
#      time per start is printed ("l: storm: ... ms per start", which
#      `make bench` reports)
#   m  libvirtd killed while a pool domain starts: once it is back the
#      domain is off, and `gpupool status` shows its claim as stale with
#      the fix, which `gpupool rebalance` then applies
#
# GP_IT_STEPS="l" (letters separated by spaces) runs only those steps.
#
# Exit 77 (skip) with the reason when not root, when libvirtd, virtlogd,
# virsh, QEMU or unshare is missing, or when mount namespaces are not
# allowed.  About a minute and a half.
set -u

N_RACERS=5   # step c: concurrent starts
M_DEVICES=2  # step c: pool size
N_STORM=32        # step l: concurrent starts
STORM_DEVICES=8   # step l: pool size

say() { printf '%s\n' "integration: $*"; }
want() {
    [ -z "${GP_IT_STEPS:-}" ] && return 0
    case " $GP_IT_STEPS " in *" $1 "*) return 0 ;; esac
    return 1
}
skip() { say "SKIP: $*"; exit 77; }

# ---- Preconditions (outside the namespace) --------------------------------
if [ -z "${GP_IT_INSIDE:-}" ]; then
    [ "$(id -u)" = 0 ] || skip "needs root: it runs a private libvirtd (run 'make check' as root)"
    for tool in libvirtd virtlogd virsh qemu-system-x86_64 unshare mount timeout; do
        command -v "$tool" >/dev/null 2>&1 ||
            skip "$tool not found (Debian: apt-get install libvirt-daemon-system libvirt-clients qemu-system-x86)"
    done
    for dir in /etc/libvirt /var/lib/libvirt /var/log/libvirt /var/cache/libvirt; do
        [ -d "$dir" ] || skip "$dir missing: libvirt-daemon-system is not installed"
    done
    unshare --mount --propagation private true 2>/dev/null ||
        skip "cannot create a mount namespace here (unshare --mount needs CAP_SYS_ADMIN)"
    export GP_IT_INSIDE=1
    # A hard bound on the whole tier; cleanup runs on the TERM it sends.
    exec timeout --kill-after=20 300 unshare --mount --propagation private -- "$0" "$@"
fi

# ---- Inside the private mount namespace ----------------------------------
top_builddir=${top_builddir:-$(pwd)}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
HOOK=$top_builddir/hooks/gpupool-hook
CLI=$top_builddir/src/gpupool
MKHOST=$top_builddir/tests/integration/gp-it-host
for f in "$HOOK" "$top_builddir/hooks/.libs/gpupool-hook-domain.so" \
    "$top_builddir/hooks/gpupool-hook-domain-xml" "$CLI" "$MKHOST"; do
    [ -f "$f" ] || { say "FAIL: $f not built (run make check)"; exit 1; }
done

WORK=$(mktemp -d /tmp/gpupool-it.XXXXXX) || exit 1
HOST=$WORK/host
STATEDIR=$HOST/run/gpupool
CLAIMS=$STATEDIR/claims.xml
URI=qemu:///system
failures=0

fail() { say "FAIL: $*"; failures=$((failures + 1)); }

# Processes whose environment names our work directory: the guests and
# daemons we started, and any gpupool the hook started detached.
our_pids() {
    local p
    for p in /proc/[0-9]*; do
        p=${p#/proc/}
        [ "$p" = $$ ] && continue
        if { tr '\0' '\n' < "/proc/$p/environ"; } 2>/dev/null | grep -qxF "GP_IT_WORK=$WORK"; then
            echo "$p"
        fi
    done
}

cleanup() {
    local rc=$? pid pids
    trap - EXIT INT TERM
    if [ -S /run/libvirt/libvirt-sock ]; then
        for d in $(timeout 10 virsh -q -c $URI list --name 2>/dev/null); do
            timeout 10 virsh -q -c $URI destroy "$d" >/dev/null 2>&1
        done
    fi
    for pidfile in /run/libvirt/qemu/*.pid "$WORK/libvirtd.pid" "$WORK/virtlogd.pid"; do
        [ -f "$pidfile" ] || continue
        pid=$(cat "$pidfile" 2>/dev/null)
        [ -n "$pid" ] && kill "$pid" 2>/dev/null
    done
    sleep 0.5
    pids=$(our_pids)
    [ -n "$pids" ] && kill -9 $pids 2>/dev/null
    mountpoint -q /dev && findmnt -rn -o FSTYPE /dev | grep -q overlay && umount -l /dev 2>/dev/null
    [ -d /run/gpupool-it-dev/lower ] && umount -R -l /run/gpupool-it-dev/lower 2>/dev/null
    for m in /var/cache/libvirt /var/log/libvirt /var/lib/libvirt /run /etc/libvirt; do
        umount -l "$m" 2>/dev/null
    done
    rm -rf --one-file-system "$WORK"
    if [ $rc -eq 0 ] && [ $failures -gt 0 ]; then
        rc=1
    fi
    exit $rc
}
trap cleanup EXIT
trap 'say "interrupted"; exit 1' INT TERM

export GP_IT_WORK=$WORK

vsh() { timeout 60 virsh -q -c $URI "$@"; }

claims_count() { [ -f "$CLAIMS" ] && grep -o '<claim ' "$CLAIMS" | wc -l || echo 0; }

# hook_words FILE: the hook's line in virsh's error, as libvirt buried it
# in "Hook script execution failed: ... unexpected exit status 1: ...".
hook_words() {
    tr '\n' ' ' < "$1" | sed -n 's/.*unexpected exit status 1: gpupool: //p' | sed 's/ *$//'
}
# logged NAME NUM WORDS: the log has WORDS as NAME's refusal, with its UUID.
logged() {
    grep -F "<27>" "$SYSLOG" | grep -F " gpupool[" |
        grep -qF "]: $1 ($(uuid_of "$2")): start refused: $3"
}

# ---- Private libvirt ------------------------------------------------------
say "private libvirt in $WORK"
for m in /etc/libvirt /run /var/lib/libvirt /var/log/libvirt /var/cache/libvirt; do
    mount -t tmpfs -o mode=0755 gpupool-it "$m" || { say "FAIL: cannot mount tmpfs on $m"; exit 1; }
done
mkdir -p /etc/libvirt/hooks/qemu.d /etc/libvirt/qemu /run/libvirt /var/lib/libvirt/qemu \
         /var/log/libvirt/qemu /var/cache/libvirt/qemu
# Guests run as root without a security driver: the tmpfs directories have
# none of the ownership the packages set up.
cat > /etc/libvirt/qemu.conf <<'EOF'
user = "root"
group = "root"
dynamic_ownership = 0
security_driver = "none"
EOF
cat > /etc/libvirt/libvirtd.conf <<EOF
log_outputs = "3:file:$WORK/libvirtd.log"
EOF
: > /etc/libvirt/virtlogd.conf

# ---- A private /dev/log ----------------------------------------------------
# gpupool records refusals in the system log through /dev/log.  /dev is
# the machine's: an overlay on it (its submounts bound back) gives this
# namespace a /dev/log of its own, whatever the machine has there
# (journald's link into /run, rsyslog's socket, or nothing), without
# writing to the machine's /dev.  A listener stands in for the log daemon
# and appends each datagram it receives to $SYSLOG as one line.  The
# lower layer is bound on the private /run, never under $WORK, which
# cleanup removes.
SYSLOG=$WORK/syslog.txt
log_ready=0
DEVSAVE=/run/gpupool-it-dev
mkdir -p "$DEVSAVE/lower" "$DEVSAVE/ov"
submounts=$(findmnt -rn -o TARGET -R /dev | grep '^/dev/' | sort)
if mount --rbind /dev "$DEVSAVE/lower" && mount -t tmpfs gpupool-it "$DEVSAVE/ov" &&
   mkdir "$DEVSAVE/ov/up" "$DEVSAVE/ov/work" &&
   mount -t overlay gpupool-it -o "lowerdir=$DEVSAVE/lower,upperdir=$DEVSAVE/ov/up,workdir=$DEVSAVE/ov/work" /dev; then
    for m in $submounts; do
        [ -d "$m" ] && mount --bind "$DEVSAVE/lower/${m#/dev/}" "$m"
    done
    rm -f /dev/log
    : > "$SYSLOG"
    python3 - "$SYSLOG" <<'PYEOF' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
with open(sys.argv[1], "ab", buffering=0) as out:
    while True:
        out.write(s.recv(65536).rstrip(b"\0") + b"\n")
PYEOF
    disown $!
    for _ in $(seq 50); do
        [ -S /dev/log ] && break
        sleep 0.1
    done
    [ -S /dev/log ] && log_ready=1
fi
[ $log_ready = 1 ] || say "no private /dev/log (overlayfs or python3 missing): the log step is skipped"

# ---- Simulated host with pools "gpus" and "storm" --------------------------
# M_DEVICES members of "gpus" 0000:e1:00.0, 0000:e2:00.0, STORM_DEVICES of
# "storm" from 0000:e3:00.0 on, and one more GPU outside the pools.
"$MKHOST" "$HOST" $((M_DEVICES + STORM_DEVICES + 1)) $M_DEVICES $STORM_DEVICES ||
    { say "FAIL: gp-it-host"; exit 1; }

# The simulated kernel is preloaded, so that what gpupool writes to the
# simulated sysfs takes effect (mdevs made, VFs enabled and bound).
PRELOAD=$top_builddir/tests/sim/.libs/libgpsim-preload.so
[ -f "$PRELOAD" ] || { say "FAIL: $PRELOAD not built (run make check)"; exit 1; }
ENV_LINES="export GPUPOOL_SYSFS_ROOT='$HOST/sys' GPUPOOL_CONFDIR='$HOST/etc/gpupool'
export GPUPOOL_STATEDIR='$STATEDIR' GPUPOOL_SCHEMADIR='$top_srcdir/xml'
export GPUPOOL_HOOK_LIBDIR='$top_builddir/hooks/.libs'
export GPUPOOL_CLI='$WORK/gpupool' GP_IT_WORK='$WORK' LIBVIRT_DEFAULT_URI='$URI'
export LD_PRELOAD='$PRELOAD'"
# A sanitized build's report settings (tests/sanitizer-check), which
# libvirt strips as well: the hook and the rebalance it starts report to
# the same files as the test's own processes.
for var in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
    eval "value=\${$var:-}"
    [ -n "$value" ] && ENV_LINES="$ENV_LINES
export $var='$value'"
done
cat > "$WORK/gpupool" <<EOF
#!/bin/sh
$ENV_LINES
exec '$CLI' "\$@"
EOF
cat > /etc/libvirt/hooks/qemu.d/gpupool <<EOF
#!/bin/sh
# Test-only: libvirt strips the environment.
$ENV_LINES
exec '$HOOK' "\$@"
EOF
# Runs after gpupool's hook (libvirt runs qemu.d in name order).  At
# prepare it photographs the claims whenever this domain holds one, and
# then keeps its start going for a while, so that concurrent starts
# really overlap while the claim is held.
mkdir -p "$WORK/snap"
# In a storm (step l) a domain holding its claim waits instead until the
# test says every other start is over.
mkdir -p "$WORK/storm"
cat > /etc/libvirt/hooks/qemu.d/zz-record <<EOF
#!/bin/sh
cat > /dev/null
echo "\$1 \$2 \$3" >> '$WORK/hook.log'
if [ "\$2" = prepare ] && [ -f '$CLAIMS' ] && grep -q "domain-name='\$1'" '$CLAIMS'; then
    cp '$CLAIMS' "$WORK/snap/\$1.\$\$"
    if [ -e '$WORK/storm.on' ]; then
        date +%s%N > '$WORK/storm/win.'"\$1"
        i=0
        while [ ! -e '$WORK/storm.go' ] && [ \$i -lt 1200 ]; do sleep 0.1; i=\$((i + 1)); done
        exit 0
    fi
    sleep 2
    # A domain the suite marked slow holds its claim longer, so that
    # another domain's start surely meets it.
    [ -f "$WORK/slow.\$1" ] && sleep 6
fi
# A domain the suite marked keeps libvirt's stop job going a while at
# release, as a loaded host does.
[ "\$2" = release ] && [ -f "$WORK/slow-release.\$1" ] && sleep 4
exit 0
EOF
chmod 0755 "$WORK/gpupool" /etc/libvirt/hooks/qemu.d/gpupool /etc/libvirt/hooks/qemu.d/zz-record
# Partition pools, made as an admin makes them: "vgpu" of the simulated
# mdev parent, "flex" of two VFs of the simulated SR-IOV GPU.
for cmd in "pool-create vgpu --type mdev --mdev-type mbochs-small" "pool-add vgpu mbochs" \
           "pool-create flex --type vf --vf-count 2" "pool-add flex 0000:f1:00.0"; do
    "$WORK/gpupool" $cmd > "$WORK/pools.out" 2>&1 ||
        { say "FAIL: gpupool $cmd: $(cat "$WORK/pools.out")"; exit 1; }
done

# Hooks are looked for when the daemon starts: install first, then start.
virtlogd -d -p "$WORK/virtlogd.pid" || { say "FAIL: virtlogd did not start"; exit 1; }
libvirtd -d -p "$WORK/libvirtd.pid" || { say "FAIL: libvirtd did not start"; exit 1; }
for _ in $(seq 100); do
    vsh version >/dev/null 2>&1 && break
    sleep 0.1
done
vsh version >/dev/null 2>&1 || { say "FAIL: libvirtd does not answer"; cat "$WORK/libvirtd.log"; exit 1; }
say "libvirtd $(libvirtd --version | awk '{print $NF}') up"

uuid_of() { printf '%08x-0000-4000-8000-%012x\n' "$1" "$1"; }

# domain_xml NAME NUM [BUS [POOL]]: a tiny TCG guest; with BUS, a gpupool
# assignment of 0000:BUS:00.0 from pool POOL, "gpus" if not given
# (metadata and hostdev, as `gpupool assign` writes them).
domain_xml() {
    local name=$1 num=$2 bus=${3:-} pool=${4:-gpus}
    echo "<domain type='qemu'>"
    echo "  <name>$name</name>"
    echo "  <uuid>$(uuid_of "$num")</uuid>"
    echo "  <memory unit='MiB'>48</memory>"
    echo "  <vcpu>1</vcpu>"
    if [ -n "$bus" ]; then
        echo "  <metadata>"
        echo "    <gpupool:assignment xmlns:gpupool='http://gpupool.org/xmlns/domain/1.0'>"
        echo "      <gpupool:request pool='$pool' count='1' mmio='auto'/>"
        echo "      <gpupool:device alias='ua-gpupool-0' pool='$pool' address='0000:$bus:00.0'/>"
        echo "    </gpupool:assignment>"
        echo "  </metadata>"
    fi
    echo "  <os><type arch='x86_64' machine='q35'>hvm</type></os>"
    echo "  <features><acpi/></features>"
    echo "  <on_crash>destroy</on_crash>"
    echo "  <devices>"
    echo "    <emulator>/usr/bin/qemu-system-x86_64</emulator>"
    if [ -n "$bus" ]; then
        echo "    <hostdev mode='subsystem' type='pci' managed='no'>"
        echo "      <source><address domain='0x0000' bus='0x$bus' slot='0x00' function='0x0'/></source>"
        echo "      <alias name='ua-gpupool-0'/>"
        echo "    </hostdev>"
    fi
    echo "  </devices>"
    echo "</domain>"
}

define() {
    domain_xml "$@" > "$WORK/$1.xml"
    vsh define "$WORK/$1.xml" >/dev/null || fail "virsh define $1"
}

# ---- a: a domain without a request ---------------------------------------
if want a; then
say "a: a domain without a gpupool request starts untouched"
# The pool commands above left the lock; nothing may change from here.
touch "$WORK/a.before"
define gpit-plain 1
if vsh start gpit-plain > "$WORK/a.out" 2>&1; then
    state=$(vsh domstate gpit-plain)
    [ "$state" = running ] || fail "a: gpit-plain is '$state', not running"
    vsh destroy gpit-plain >/dev/null || fail "a: destroy"
else
    fail "a: start failed: $(cat "$WORK/a.out")"
fi
leftover=$(find "$STATEDIR" -mindepth 1 -newer "$WORK/a.before" 2>/dev/null | head -3)
[ -z "$leftover" ] || fail "a: the hook left state for a plain domain: $leftover"
grep -q "^gpit-plain prepare begin" "$WORK/hook.log" 2>/dev/null ||
    fail "a: libvirt did not run the hooks (see $WORK/libvirtd.log)"
vsh undefine gpit-plain >/dev/null
fi

# ---- b: claimed at prepare, libvirt fails, released -----------------------
if want b; then
say "b: a pool domain whose device cannot be opened here fails in libvirt; its claim is released"
define gpit-b 2 e1
if vsh start gpit-b > "$WORK/b.out" 2>&1; then
    fail "b: gpit-b started although its device does not exist on this machine"
    vsh destroy gpit-b >/dev/null 2>&1
fi
say "b: libvirt said: $(tr '\n' ' ' < "$WORK/b.out")"
grep -q "gpupool:" "$WORK/b.out" &&
    fail "b: the hook refused gpit-b; the failure should come from libvirt"
ls "$WORK/snap/" 2>/dev/null | grep -q '^gpit-b\.' ||
    fail "b: gpit-b held no claim during prepare (the hook did not claim)"
grep -q "device='0000:e1:00.0'" "$WORK"/snap/gpit-b.* 2>/dev/null ||
    fail "b: the claim at prepare was not 0000:e1:00.0"
for _ in $(seq 50); do
    grep -q "domain-name='gpit-b'" "$CLAIMS" 2>/dev/null || break
    sleep 0.1
done
grep -q "domain-name='gpit-b'" "$CLAIMS" 2>/dev/null &&
    fail "b: gpit-b still holds a claim after its start failed"
grep -q "^gpit-b release end" "$WORK/hook.log" || fail "b: libvirt did not run release"
if "$WORK/gpupool" status >/dev/null 2>&1; then
    "$WORK/gpupool" status > "$WORK/b.status" 2>&1
    grep "0000:e1:00.0" "$WORK/b.status" | grep -qw free ||
        fail "b: gpupool status does not show 0000:e1:00.0 free: $(cat "$WORK/b.status")"
    say "b: gpupool status: $(grep "0000:e1:00.0" "$WORK/b.status" | tr -s ' ')"
fi
vsh undefine gpit-b >/dev/null
fi

# ---- c: N concurrent starts for M devices --------------------------------
if want c; then
say "c: $N_RACERS concurrent starts for a pool of $M_DEVICES devices"
rm -f "$WORK"/snap/*
for i in $(seq 0 $((N_RACERS - 1))); do
    define "gpit-c$i" $((10 + i)) "e$((i % M_DEVICES + 1))"
done
# Watch the claims file while they race, besides the hook-time photos.
( while [ ! -f "$WORK/c.done" ]; do
      [ -f "$CLAIMS" ] && cp "$CLAIMS" "$WORK/snap/poll.$(date +%s%N)" 2>/dev/null
      sleep 0.05
  done ) &
watcher=$!
racers=()
for i in $(seq 0 $((N_RACERS - 1))); do
    vsh start "gpit-c$i" > "$WORK/c$i.out" 2>&1 &
    racers+=($!)
done
for p in "${racers[@]}"; do wait "$p"; done
touch "$WORK/c.done"
wait "$watcher"

photos=0
for snap in "$WORK"/snap/*; do
    [ -f "$snap" ] || continue
    photos=$((photos + 1))
    n=$(grep -o '<claim ' "$snap" | wc -l)
    [ "$n" -le $M_DEVICES ] || fail "c: $n claims at once for $M_DEVICES devices ($(basename "$snap"))"
    dups=$(grep -o "device='[^']*'" "$snap" | sort | uniq -d)
    [ -z "$dups" ] || fail "c: one device held twice: $dups ($(basename "$snap"))"
done
holders=$(ls "$WORK/snap" | grep -c '^gpit-c')
say "c: $photos photos of the claims, $holders taken while a racer held a claim"
[ "$holders" -ge 1 ] || fail "c: no racer ever held a claim"
losers=0
c_lost=()
for i in $(seq 0 $((N_RACERS - 1))); do
    out=$(tr '\n' ' ' < "$WORK/c$i.out")
    if grep -q "is held by domain 'gpit-c" "$WORK/c$i.out"; then
        losers=$((losers + 1))
        c_lost+=("$i")
        say "c: gpit-c$i lost: ${out#*gpupool: }"
        grep -q "of pool 'gpus' is held by domain 'gpit-c[0-9]*'; free: " "$WORK/c$i.out" ||
            fail "c: gpit-c$i: the error does not name holder and free devices: $out"
    elif grep -q "gpupool:" "$WORK/c$i.out"; then
        fail "c: gpit-c$i refused for another reason: $out"
    elif grep -q "Domain 'gpit-c$i' started" "$WORK/c$i.out"; then
        fail "c: gpit-c$i started although its device does not exist here"
    fi
done
[ "$losers" -ge 1 ] || fail "c: no start lost the race: the starts did not overlap"
say "c: $losers of $N_RACERS starts refused by the hook, naming the holder"
for _ in $(seq 50); do
    [ "$(claims_count)" -eq 0 ] && break
    sleep 0.1
done
[ "$(claims_count)" -eq 0 ] || fail "c: claims left after every start failed: $(cat "$CLAIMS")"
# The hook started `gpupool rebalance` detached from libvirt's job, with
# the environment libvirt gave it: it took its turn and cleared the flag.
for _ in $(seq 100); do
    [ -e "$STATEDIR/rebalance.lock" ] && [ ! -e "$STATEDIR/rebalance-pending" ] && break
    sleep 0.1
done
[ -e "$STATEDIR/rebalance.lock" ] || fail "c: no rebalance ran after the claims and releases"
[ -e "$STATEDIR/rebalance-pending" ] && fail "c: a rebalance is still pending 10 s later"
for i in $(seq 0 $((N_RACERS - 1))); do vsh undefine "gpit-c$i" >/dev/null; done
fi

# ---- d: assign / unassign against the daemon ------------------------------
if want d; then
if "$WORK/gpupool" assign --help >/dev/null 2>&1; then
    say "d: gpupool assign/unassign change exactly gpupool's parts of the persistent definition"
    define gpit-d 30
    vsh dumpxml --inactive gpit-d > "$WORK/d.before"
    if "$WORK/gpupool" assign gpit-d --pool gpus > "$WORK/d.assign.out" 2>&1; then
        vsh dumpxml --inactive gpit-d > "$WORK/d.assigned"
        # Only gpupool's parts may differ: its metadata, its hostdev, and the
        # MMIO window and stop action that assign records in the metadata.
        diff "$WORK/d.before" "$WORK/d.assigned" | grep '^[<>]' > "$WORK/d.changes"
        foreign=$(grep -vE "gpupool|ua-gpupool|<hostdev|</hostdev>|<source>|</source>|<address domain=|<address type='pci' |<alias name='ua-gpupool|pcihole64|<controller type='pci' index='0'|</controller>|on_crash|<metadata>|</metadata>|maxphysaddr|<cpu|</cpu>|fw_cfg|<sysinfo|</sysinfo>|<entry name='opt/ovmf|qemu:commandline|<os|</os>" "$WORK/d.changes")
        [ -z "$foreign" ] || fail "d: assign changed more than gpupool's parts: $foreign"
        say "d: assign changed $(grep -c '^>' "$WORK/d.changes") line(s), removed $(grep -c '^<' "$WORK/d.changes")"
        grep -q "gpupool:assignment" "$WORK/d.assigned" || fail "d: no gpupool metadata after assign"
        grep -q "<alias name='ua-gpupool-0'/>" "$WORK/d.assigned" || fail "d: no gpupool hostdev after assign"
        "$WORK/gpupool" assign gpit-d --pool gpus > /dev/null 2>&1 || fail "d: assign is not idempotent"
        vsh dumpxml --inactive gpit-d > "$WORK/d.assigned2"
        cmp -s "$WORK/d.assigned" "$WORK/d.assigned2" || fail "d: a second assign changed the domain"
        if "$WORK/gpupool" unassign gpit-d > "$WORK/d.unassign.out" 2>&1; then
            vsh dumpxml --inactive gpit-d > "$WORK/d.after"
            diff -u "$WORK/d.before" "$WORK/d.after" > "$WORK/d.diff" ||
                fail "d: unassign did not restore the definition: $(cat "$WORK/d.diff")"
        else
            fail "d: unassign failed: $(cat "$WORK/d.unassign.out")"
        fi
    else
        fail "d: assign failed: $(cat "$WORK/d.assign.out")"
    fi
    vsh undefine gpit-d >/dev/null
else
    say "d: SKIPPED: this gpupool has no 'assign' command yet"
fi
fi

# ---- e: libvirtd restarts while a domain runs -----------------------------
if want e; then
say "e: libvirtd restarts under a running domain: reconnect leaves it running, no state"
define gpit-e 40
if vsh start gpit-e > "$WORK/e.out" 2>&1; then
    kill "$(cat "$WORK/libvirtd.pid")"
    for _ in $(seq 100); do
        [ -e "/proc/$(cat "$WORK/libvirtd.pid" 2>/dev/null)" ] || break
        sleep 0.1
    done
    libvirtd -d -p "$WORK/libvirtd.pid" || fail "e: libvirtd did not start again"
    for _ in $(seq 100); do
        vsh version >/dev/null 2>&1 && break
        sleep 0.1
    done
    # libvirtd reconnects to running guests in the background.
    for _ in $(seq 100); do
        grep -q "^gpit-e reconnect begin" "$WORK/hook.log" && break
        sleep 0.1
    done
    grep -q "^gpit-e reconnect begin" "$WORK/hook.log" || fail "e: libvirt did not run the reconnect hook"
    state=$(vsh domstate gpit-e)
    [ "$state" = running ] || fail "e: gpit-e is '$state' after the restart, not running"
    [ -z "$(find "$STATEDIR" -name claims.xml -newer "$WORK/e.out" 2>/dev/null)" ] ||
        fail "e: reconnect of a plain domain wrote claims"
    vsh destroy gpit-e >/dev/null
else
    fail "e: start failed: $(cat "$WORK/e.out")"
fi
vsh undefine gpit-e >/dev/null
fi

# ---- f: a pool device as a domain's own <hostdev> -------------------------
if want f; then
say "f: a domain that names a pool device in its own <hostdev> is refused"
domain_xml gpit-f 6 e1 | sed '/<metadata>/,/<\/metadata>/d; /ua-gpupool/d' > "$WORK/gpit-f.xml"
grep -q gpupool "$WORK/gpit-f.xml" && fail "f: the test domain still mentions gpupool"
vsh define "$WORK/gpit-f.xml" >/dev/null || fail "virsh define gpit-f"
if vsh start gpit-f > "$WORK/f.out" 2>&1; then
    fail "f: gpit-f started with a pool device outside gpupool"
    vsh destroy gpit-f >/dev/null 2>&1
fi
say "f: libvirt said: $(tr '\n' ' ' < "$WORK/f.out")"
grep -q "gpupool: gpit-f: its own <hostdev> of 0000:e1:00.0 passes through a device of pool 'gpus', which only gpupool hands out: remove that <hostdev> from the definition ('virsh edit gpit-f'), then give it devices of the pool with 'gpupool assign gpit-f --pool gpus'" "$WORK/f.out" ||
    fail "f: the start was not refused by the hook naming the pool"
grep -q "domain-name='gpit-f'" "$CLAIMS" 2>/dev/null && fail "f: gpit-f got a claim"
# assign cannot help while the <hostdev> is there: it says to remove it,
# instead of libvirt's bare "Hostdev already exists".
vsh dumpxml --inactive gpit-f > "$WORK/f.before"
if "$WORK/gpupool" assign gpit-f --pool gpus > "$WORK/f.assign" 2>&1; then
    fail "f: assign took a domain with its own <hostdev> of a pool device"
fi
[ "$(cat "$WORK/f.assign")" = "gpupool: error: gpit-f: its own <hostdev> of 0000:e1:00.0 passes through a device of pool 'gpus', which only gpupool hands out: remove that <hostdev> from the definition ('virsh edit gpit-f'), then run 'gpupool assign gpit-f --pool gpus' again" ] ||
    fail "f: assign did not say to remove the <hostdev>: $(cat "$WORK/f.assign")"
vsh dumpxml --inactive gpit-f | cmp -s - "$WORK/f.before" || fail "f: the refused assign changed gpit-f"
vsh undefine gpit-f >/dev/null
fi

# ---- g: migrate-check asks the daemon --------------------------------------
if want g; then
say "g: migrate-check: never for whole devices, for partitions only where QEMU can"
define gpit-g 7 e1
if "$WORK/gpupool" migrate-check gpit-g > "$WORK/g.out" 2>&1; then
    fail "g: a domain with a whole device may migrate: $(cat "$WORK/g.out")"
fi
grep -q "^gpit-g: no: pool gpus hands out whole devices; stop the domain" "$WORK/g.out" ||
    fail "g: whole devices not refused with the reason: $(cat "$WORK/g.out")"
# The same guest with a VF of a pool this host lacks: only the stack decides.
domain_xml gpit-h 8 e1 | sed "s/pool='gpus'/pool='flex'/g; s/mmio='auto'/mmio='auto' type='vf'/" \
    > "$WORK/gpit-h.xml"
vsh define "$WORK/gpit-h.xml" >/dev/null || fail "virsh define gpit-h"
qemu=$(vsh version | sed -n 's/^Running hypervisor: QEMU //p')
"$WORK/gpupool" migrate-check gpit-h > "$WORK/h.out" 2>&1
rc=$?
say "g: QEMU $qemu, Linux $(uname -r): $(cat "$WORK/h.out")"
case $qemu in
[0-7].*)
    [ $rc -eq 1 ] || fail "g: QEMU $qemu said to migrate VFIO devices"
    grep -q "QEMU $qemu here ($URI) on Linux $(uname -r) cannot migrate a VFIO device" \
        "$WORK/h.out" || fail "g: the answer does not name QEMU $qemu: $(cat "$WORK/h.out")"
    ;;
*)
    [ $rc -eq 0 ] || fail "g: QEMU $qemu refused: $(cat "$WORK/h.out")"
    ;;
esac
vsh undefine gpit-g >/dev/null
vsh undefine gpit-h >/dev/null
fi

# ---- i: assign --restart of a running domain ---------------------------------
if want i; then
say "i: assign --restart: stopped, changed, started; a start that fails puts the old definition back"
define gpit-i 50
vsh dumpxml --inactive gpit-i > "$WORK/i.before"
if vsh start gpit-i > "$WORK/i.start" 2>&1; then
    rm -f "$WORK"/snap/gpit-i.*
    n0=$(grep -c "^gpit-i prepare begin" "$WORK/hook.log")
    # The guest has no OS to act on the shutdown request: destroyed after 1 s.
    "$WORK/gpupool" assign gpit-i --pool gpus --restart --timeout 1 > "$WORK/i.out" 2> "$WORK/i.err"
    rc=$?
    say "i: $(cat "$WORK/i.err")"
    [ $rc -eq 1 ] || fail "i: exit $rc, not 1, when the new definition cannot start: $(cat "$WORK/i.out")"
    [ "$(wc -l < "$WORK/i.err")" -eq 1 ] || fail "i: not one line: $(cat "$WORK/i.err")"
    grep -q "^gpupool: error: gpit-i: the new definition did not start: .*; the previous definition was defined again and gpit-i runs with it$" "$WORK/i.err" ||
        fail "i: the error does not say that the previous definition runs: $(cat "$WORK/i.err")"
    [ "$(vsh domstate gpit-i)" = running ] || fail "i: gpit-i is not running again"
    vsh dumpxml --inactive gpit-i > "$WORK/i.after"
    cmp -s "$WORK/i.before" "$WORK/i.after" ||
        fail "i: the previous definition is not back: $(diff "$WORK/i.before" "$WORK/i.after")"
    # The new definition really was started: the hook claimed its device,
    # then the previous one was started again.
    n1=$(grep -c "^gpit-i prepare begin" "$WORK/hook.log")
    [ $((n1 - n0)) -eq 2 ] || fail "i: $((n1 - n0)) starts after the first, not 2 (new, previous)"
    ls "$WORK/snap/" 2>/dev/null | grep -q '^gpit-i\.' ||
        fail "i: the hook claimed nothing when the new definition started"
    vsh destroy gpit-i >/dev/null
else
    fail "i: gpit-i did not start: $(cat "$WORK/i.start")"
fi
# A domain that does not run is only redefined, even with --restart.
"$WORK/gpupool" assign gpit-i --pool gpus --restart > "$WORK/i2.out" 2>&1 ||
    fail "i: assign --restart of a stopped domain: $(cat "$WORK/i2.out")"
grep -q "restarted\|applies at its next start" "$WORK/i2.out" &&
    fail "i: a stopped domain was said to run: $(cat "$WORK/i2.out")"
[ "$(vsh domstate gpit-i)" = "shut off" ] || fail "i: assign --restart started a stopped domain"
vsh undefine gpit-i >/dev/null
fi

# ---- j: several domains in one call ----------------------------------------
if want j; then
say "j: assign and unassign several domains: each reported, one failure makes the exit 1"
define gpit-j1 51
define gpit-j2 52
vsh dumpxml --inactive gpit-j1 > "$WORK/j1.before"
vsh dumpxml --inactive gpit-j2 > "$WORK/j2.before"
"$WORK/gpupool" assign gpit-j1 gpit-nosuch gpit-j2 --pool gpus > "$WORK/j.out" 2> "$WORK/j.err"
rc=$?
[ $rc -eq 1 ] || fail "j: exit $rc with an unknown domain among them"
grep -q "^gpit-j1: assigned gpus 0000:e" "$WORK/j.out" || fail "j: gpit-j1 not assigned: $(cat "$WORK/j.out")"
grep -q "^gpit-j2: assigned gpus 0000:e" "$WORK/j.out" || fail "j: gpit-j2 not assigned: $(cat "$WORK/j.out")"
[ "$(grep -c . "$WORK/j.err")" -eq 1 ] && grep -q "^gpupool: error: domain 'gpit-nosuch' not found" "$WORK/j.err" ||
    fail "j: not one error line for the unknown domain: $(cat "$WORK/j.err")"
d1=$(grep -o "^gpit-j1: assigned gpus [0-9a-f:.]*" "$WORK/j.out" | awk '{print $NF}')
d2=$(grep -o "^gpit-j2: assigned gpus [0-9a-f:.]*" "$WORK/j.out" | awk '{print $NF}')
[ -n "$d1" ] && [ "$d1" != "$d2" ] || fail "j: both domains reserve $d1: the second did not see the first"
"$WORK/gpupool" unassign gpit-j1 gpit-j2 > "$WORK/j.un" 2>&1 || fail "j: unassign: $(cat "$WORK/j.un")"
[ "$(grep -c "metadata and settings removed" "$WORK/j.un")" -eq 2 ] || fail "j: $(cat "$WORK/j.un")"
vsh dumpxml --inactive gpit-j1 | cmp -s - "$WORK/j1.before" || fail "j: gpit-j1 not as before"
vsh dumpxml --inactive gpit-j2 | cmp -s - "$WORK/j2.before" || fail "j: gpit-j2 not as before"
vsh undefine gpit-j1 >/dev/null
vsh undefine gpit-j2 >/dev/null
fi

# ---- k: copies made by virt-clone ----------------------------------------------
if want k; then
# units NAME: the units NAME's persistent definition reserves, in order.
units() {
    vsh dumpxml --inactive "$1" | grep -o "<gpupool:device [^>]*>" |
        sed -n "s/.* \(address\|uuid\)=[\"']\([^\"']*\)[\"'].*/\2/p" | tr '\n' ' ' | sed 's/ $//'
}
# wait_units NAME WANT: up to 15 s for NAME to reserve WANT (the detached
# rebalance re-points it after the hook's refusal).
wait_units() {
    for _ in $(seq 150); do
        [ "$(units "$1")" = "$2" ] && return 0
        sleep 0.1
    done
    return 1
}
# clone ORIGINAL COPY: virt-clone's copy, which keeps gpupool's metadata.
clone() {
    timeout 120 virt-clone --connect $URI --original "$1" --name "$2" --auto-clone \
        > "$WORK/$2.clone" 2>&1 || { fail "k: virt-clone $1: $(cat "$WORK/$2.clone")"; return 1; }
    [ "$(units "$2")" = "$(units "$1")" ] ||
        { fail "k: virt-clone did not copy $1's reservation: $(units "$2")"; return 1; }
}
# held_by_at_prepare NAME UNIT: a photo of the claims taken at NAME's
# prepare shows NAME holding UNIT.
held_at_prepare() {
    grep -l "domain-name='$1'" "$WORK"/snap/"$1".* 2>/dev/null |
        xargs -r grep -h "device='$2'" | grep -q "domain-name='$1'"
}
if command -v virt-clone >/dev/null 2>&1; then
    say "k: virt-clone copies of pci, vf and mdev pool domains get units of their own"
    rm -f "$WORK"/snap/*

    # pci: the copy's first start gets the free device both reserve; the
    # rebalance that start triggers gives the copy a unit nobody reserves.
    define gpit-kp 60
    "$WORK/gpupool" assign gpit-kp --pool gpus > /dev/null 2>&1 || fail "k: assign gpit-kp"
    orig=$(units gpit-kp)
    if clone gpit-kp gpit-kp-clone; then
        "$WORK/gpupool" check gpit-kp-clone > "$WORK/kp.check" 2>&1 ||
            fail "k: check refuses the copy while $orig is free: $(cat "$WORK/kp.check")"
        vsh start gpit-kp-clone > "$WORK/kp.start" 2>&1
        grep -q "gpupool:" "$WORK/kp.start" && fail "k: the hook refused the copy: $(cat "$WORK/kp.start")"
        held_at_prepare gpit-kp-clone "$orig" || fail "k: the copy's start did not claim $orig"
        other=0000:e1:00.0
        [ "$orig" = 0000:e1:00.0 ] && other=0000:e2:00.0
        wait_units gpit-kp-clone $other ||
            fail "k: the copy still shares $orig with gpit-kp: $(units gpit-kp-clone)"
        [ "$(units gpit-kp)" = "$orig" ] || fail "k: the original was moved: $(units gpit-kp)"
        say "k: pci: gpit-kp keeps $orig, its copy got $(units gpit-kp-clone)"
        if [ $log_ready = 1 ]; then
            grep -q "gpit-kp-clone (.*rebalance: ua-gpupool-0 re-pointed from $orig to $other of pool 'gpus' ($orig was also reserved by gpit-kp)" "$SYSLOG" ||
                fail "k: the rebalance's re-point is not in the system log"
        fi
        vsh undefine gpit-kp-clone >/dev/null
    fi
    vsh undefine gpit-kp >/dev/null

    # vf: the copy starts while the original holds the VF: refused with
    # what the rebalance the hook starts does, and its next start passes.
    define gpit-kv 61
    "$WORK/gpupool" assign gpit-kv --pool flex > /dev/null 2>&1 || fail "k: assign gpit-kv"
    orig=$(units gpit-kv)
    if clone gpit-kv gpit-kv-clone; then
        touch "$WORK/slow.gpit-kv"
        vsh start gpit-kv > "$WORK/kv.start" 2>&1 &
        starter=$!
        for _ in $(seq 100); do
            grep -q "domain-name='gpit-kv'" "$CLAIMS" 2>/dev/null && break
            sleep 0.1
        done
        vsh start gpit-kv-clone > "$WORK/kvc.start" 2>&1
        words=$(hook_words "$WORK/kvc.start")
        say "k: vf: libvirt said: $words"
        case $words in
        *"$orig of pool 'flex' is held by domain 'gpit-kv'; free: "*"; gpit-kv-clone is being re-pointed to a free device of pool 'flex': start it again in a moment")
            ;;
        *) fail "k: the copy's refusal does not say it is being re-pointed: $words" ;;
        esac
        wait "$starter"
        rm -f "$WORK/slow.gpit-kv"
        for _ in $(seq 150); do
            [ -n "$(units gpit-kv-clone)" ] && [ "$(units gpit-kv-clone)" != "$orig" ] && break
            sleep 0.1
        done
        new=$(units gpit-kv-clone)
        [ "$new" != "$orig" ] || fail "k: the copy was not re-pointed from $orig"
        vsh start gpit-kv-clone > "$WORK/kvc.again" 2>&1
        grep -q "gpupool:" "$WORK/kvc.again" &&
            fail "k: started again, the copy is still refused: $(cat "$WORK/kvc.again")"
        held_at_prepare gpit-kv-clone "$new" || fail "k: the copy's second start did not claim $new"
        say "k: vf: gpit-kv keeps $orig, its copy got $new and its start passed the hook"
        vsh undefine gpit-kv-clone >/dev/null
    fi
    vsh undefine gpit-kv >/dev/null

    # mdev: the copy names the original's mdev; refused before anything is
    # made, then re-pointed to an mdev derived from its own UUID.
    define gpit-km 62
    "$WORK/gpupool" assign gpit-km --pool vgpu > /dev/null 2>&1 || fail "k: assign gpit-km"
    orig=$(units gpit-km)
    if clone gpit-km gpit-km-clone; then
        "$WORK/gpupool" check gpit-km-clone > "$WORK/km.check" 2>&1 &&
            fail "k: check passes a copy of gpit-km's mdev"
        grep -q "^gpupool: error: gpit-km-clone: mdev $orig of pool 'vgpu' was made for another domain (this definition is a copy of that domain's); run 'gpupool rebalance' to give gpit-km-clone its own mdev$" "$WORK/km.check" ||
            fail "k: check does not say the mdev is a copy: $(cat "$WORK/km.check")"
        # The rebalance that the refusal starts must wait for the end of
        # the copy's start job: its stop runs long here.
        touch "$WORK/slow-release.gpit-km-clone"
        vsh start gpit-km-clone > "$WORK/kmc.start" 2>&1
        rm -f "$WORK/slow-release.gpit-km-clone"
        words=$(hook_words "$WORK/kmc.start")
        say "k: mdev: libvirt said: $words"
        [ "$words" = "gpit-km-clone: mdev $orig of pool 'vgpu' was made for another domain (this definition is a copy of that domain's); gpit-km-clone is being re-pointed to its own mdev: start it again in a moment" ] ||
            fail "k: the copy's refusal: $words"
        [ -e "$HOST/sys/bus/mdev/devices/$orig" ] && fail "k: the original's mdev was made for the copy"
        cuuid=$(vsh domuuid gpit-km-clone)
        # gpupool's mdev UUIDs: uuid5 of its namespace and "DOMAIN-UUID/POOL/SLOT".
        own=$(python3 -c 'import sys, uuid; print(uuid.uuid5(uuid.UUID("1ffa6255-9e50-542f-9a2c-756a20e0781b"), sys.argv[1] + "/vgpu/0"))' "$cuuid")
        wait_units gpit-km-clone "$own" ||
            fail "k: the copy was not given its own mdev: $(units gpit-km-clone)"
        [ "$(units gpit-km)" = "$orig" ] || fail "k: the original's mdev changed"
        vsh start gpit-km-clone > "$WORK/kmc.again" 2>&1
        grep -q "gpupool:" "$WORK/kmc.again" &&
            fail "k: started again, the copy is still refused: $(cat "$WORK/kmc.again")"
        held_at_prepare gpit-km-clone "$(units gpit-km-clone)" ||
            fail "k: the copy's own mdev was not claimed at its start"
        say "k: mdev: gpit-km keeps $orig, its copy got $(units gpit-km-clone)"
        vsh undefine gpit-km-clone >/dev/null
    fi
    vsh undefine gpit-km >/dev/null
else
    fail "k: virt-clone not found (Debian: apt-get install virtinst)"
fi
fi

# ---- h: the system log -----------------------------------------------------
if want h; then
if [ $log_ready = 1 ]; then
    say "h: each refusal virsh showed is in the system log, with the domain's name and UUID"
    words=$(hook_words "$WORK/f.out")
    [ -n "$words" ] || fail "h: no hook words in gpit-f's start error: $(cat "$WORK/f.out")"
    logged gpit-f 6 "$words" || fail "h: gpit-f's refusal is not in the log: $(cat "$SYSLOG")"
    for i in "${c_lost[@]}"; do
        words=$(hook_words "$WORK/c$i.out")
        logged "gpit-c$i" $((10 + i)) "$words" ||
            fail "h: gpit-c$i's refusal is not in the log: $words"
    done
    say "h: the log has $(grep -c 'start refused' "$SYSLOG") refusal(s), e.g. $(grep -m1 'gpit-f' "$SYSLOG")"
    # Starts that passed the hook are not refusals: only refused domains appear.
    grep -q "gpit-b (.*start refused" "$SYSLOG" && fail "h: gpit-b's start was logged as refused"
else
    say "h: SKIPPED: no private /dev/log"
fi
fi

# ---- l: boot storm ---------------------------------------------------------
if want l; then
say "l: boot storm: $N_STORM concurrent starts for a pool of $STORM_DEVICES devices"
rm -f "$WORK"/snap/* "$WORK"/storm/*
for i in $(seq 0 $((N_STORM - 1))); do
    define "gpit-s$i" $((100 + i)) "$(printf '%02x' $((0xe3 + i % STORM_DEVICES)))" storm
done
touch "$WORK/storm.on"
t0=$(date +%s%N)
racers=()
for i in $(seq 0 $((N_STORM - 1))); do
    ( b=$(date +%s%N); vsh start "gpit-s$i" > "$WORK/s$i.out" 2>&1
      echo "$? $b $(date +%s%N)" > "$WORK/s$i.rc" ) &
    racers+=($!)
done
# Every start has either been refused or passed gpupool and waits, holding
# its device, in the hook that runs after gpupool's.
for _ in $(seq 1800); do
    finished=$(ls "$WORK"/s*.rc 2>/dev/null | wc -l)
    waiting=$(ls "$WORK"/storm/win.* 2>/dev/null | wc -l)
    [ $((finished + waiting)) -ge $N_STORM ] && break
    sleep 0.1
done
t1=$(date +%s%N)
winners=$(ls "$WORK"/storm/win.* 2>/dev/null | sed 's|.*/win\.||' | sort)
n_win=$(printf '%s\n' $winners | grep -c .)
cp "$CLAIMS" "$WORK/storm.claims" 2>/dev/null
touch "$WORK/storm.go"
for p in "${racers[@]}"; do wait "$p"; done
rm -f "$WORK/storm.on" "$WORK/storm.go"
[ "$n_win" -eq $STORM_DEVICES ] ||
    fail "l: $n_win starts passed gpupool, not $STORM_DEVICES: $(echo $winners)"
[ "$(grep -c '<claim ' "$WORK/storm.claims")" -eq $STORM_DEVICES ] ||
    fail "l: the claims during the storm: $(cat "$WORK/storm.claims")"
dups=$(grep -o "device='[^']*'" "$WORK/storm.claims" | sort | uniq -d)
[ -z "$dups" ] || fail "l: one device held twice: $dups"
refused=0
for i in $(seq 0 $((N_STORM - 1))); do
    name=gpit-s$i
    if printf '%s\n' $winners | grep -qx "$name"; then
        grep -q "gpupool:" "$WORK/s$i.out" && fail "l: $name passed gpupool, yet: $(cat "$WORK/s$i.out")"
        continue
    fi
    lines=$(grep -c "gpupool:" "$WORK/s$i.out")
    holder=$(sed -n "s/.*gpupool: 0000:[0-9a-f:.]* of pool 'storm' is held by domain '\(gpit-s[0-9]*\)'; free: .*/\1/p" "$WORK/s$i.out")
    if [ "$lines" -ne 1 ] || [ -z "$holder" ]; then
        fail "l: $name was not refused in one line naming the holder: $(tr '\n' ' ' < "$WORK/s$i.out")"
        continue
    fi
    printf '%s\n' $winners | grep -qx "$holder" ||
        fail "l: $name names '$holder', which did not pass gpupool"
    refused=$((refused + 1))
done
say "l: $n_win starts passed gpupool, $refused were refused naming the holder"
for d in $(vsh list --name 2>/dev/null | grep '^gpit-s'); do
    vsh destroy "$d" >/dev/null 2>&1
done
for _ in $(seq 100); do
    [ "$(claims_count)" -eq 0 ] && break
    sleep 0.1
done
[ "$(claims_count)" -eq 0 ] || fail "l: claims left after the storm: $(cat "$CLAIMS")"
[ -z "$(vsh list --name 2>/dev/null | grep '^gpit-s')" ] || fail "l: storm domains still run"
# The time per start: until every start had been decided by gpupool, and
# each refused start's own 'virsh start', median.
per_start=$(( (t1 - t0) / N_STORM / 1000 ))
refused_ms=$(for i in $(seq 0 $((N_STORM - 1))); do
                 printf '%s\n' $winners | grep -qx "gpit-s$i" && continue
                 awk '{ printf "%d\n", ($3 - $2) / 1000000 }' "$WORK/s$i.rc"
             done | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
say "l: storm: $N_STORM starts decided in $(( (t1 - t0) / 1000000 )) ms, $((per_start / 1000)).$(printf '%03d' $((per_start % 1000))) ms per start; a refused 'virsh start' takes $refused_ms ms (median)"
for i in $(seq 0 $((N_STORM - 1))); do vsh undefine "gpit-s$i" >/dev/null; done
fi

# ---- m: libvirtd killed during a start -----------------------------------
if want m; then
say "m: libvirtd killed while a pool domain starts: its claim shows stale, rebalance drops it"
define gpit-m 52 e2
vsh start gpit-m > "$WORK/m.out" 2>&1 &
starter=$!
# gpupool has claimed; the hook after it holds the start for 2 s.
for _ in $(seq 100); do
    grep -q "domain-name='gpit-m'" "$CLAIMS" 2>/dev/null && break
    sleep 0.1
done
grep -q "domain-name='gpit-m'" "$CLAIMS" 2>/dev/null || fail "m: gpit-m was never claimed"
kill -9 "$(cat "$WORK/libvirtd.pid")"
wait "$starter"
rm -f "$WORK/libvirtd.pid"
libvirtd -d -p "$WORK/libvirtd.pid" || fail "m: libvirtd did not start again"
for _ in $(seq 100); do
    vsh version >/dev/null 2>&1 && break
    sleep 0.1
done
state=$(vsh domstate gpit-m 2>&1)
[ "$state" = "shut off" ] || fail "m: gpit-m is '$state' after libvirtd came back"
# A claim made in the second before status asks, or the one before, counts as fresh.
sleep 2.1
"$WORK/gpupool" status > "$WORK/m.status" 2>&1 || fail "m: status failed: $(cat "$WORK/m.status")"
grep -Eq "0000:e2:00.0 +stale +gpit-m" "$WORK/m.status" ||
    fail "m: status does not show gpit-m's claim as stale: $(cat "$WORK/m.status")"
grep -q "run 'gpupool rebalance' to give it back" "$WORK/m.status" ||
    fail "m: status does not name the fix: $(cat "$WORK/m.status")"
say "m: gpupool status: $(grep "0000:e2:00.0" "$WORK/m.status" | tr -s ' ')"
"$WORK/gpupool" rebalance > "$WORK/m.rebalance" 2>&1 || fail "m: rebalance failed: $(cat "$WORK/m.rebalance")"
grep -q "gpit-m: dropped its claim on 0000:e2:00.0 (pool 'gpus'): it is not running" \
    "$WORK/m.rebalance" || fail "m: rebalance did not drop the claim: $(cat "$WORK/m.rebalance")"
grep -q "domain-name='gpit-m'" "$CLAIMS" 2>/dev/null && fail "m: gpit-m still holds a claim"
vsh undefine gpit-m >/dev/null
fi

if [ $failures -gt 0 ]; then
    say "$failures failure(s); libvirtd log:"
    tail -20 "$WORK/libvirtd.log" 2>/dev/null
    exit 1
fi
say "all steps passed"
exit 0
