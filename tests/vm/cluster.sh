# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Cluster nodes inside the demo host, for the real-cluster scenarios.
# Sourced after lib.sh:  . "$VMDIR/lib.sh"; . "$VMDIR/cluster.sh"
#
# A node is a process tree in namespaces of its own:
#  - network: one address on a private bridge (CLUSTER_NET.N), so corosync,
#    pacemaker's IPC (abstract unix sockets live in the network namespace)
#    and libvirtd's TCP port are per node;
#  - mount: its own /etc/libvirt, /etc/corosync, /etc/gpupool,
#    /var/lib/{libvirt,pacemaker,corosync}, /var/cache/libvirt and /var/log
#    (bind mounts of CLUSTER_DIR/nodes/nodeN/...), a fresh /run and /dev/shm
#    (tmpfs, gone when the node dies), the cluster's /etc/hosts;
#  - UTS: its hostname is its cluster node name (uname -n = nodeN);
#  - IPC and PID: its processes, QEMU included, see only each other, and
#    killing the namespace's first process kills all of them at once, which
#    is what a fence device does to a real node.
# /sys, /dev (so /dev/vfio) and the PCI devices are the demo host's: which
# device a node owns is configuration (its own /etc/gpupool), not isolation.
# Every node sees CLUSTER_SHARED at the same path (the shared storage of a
# real cluster: domain XML for VirtualDomain's config=).
#
# Interface for scenarios (tests/vm/README.md, "Clusters"):
#   cluster_scenario N        boot N nodes (2 or 3); at exit diagnostics on
#                             failure, cluster_destroy, reset_host
#   cluster_wait_formed [S]   wait until every live node sees every live node
#                             online and a DC (the nodes start from a CIB with
#                             the test cluster's options: _cluster_cib_seed)
#   on_node N CMD...          run CMD on node N (nsenter into its namespaces)
#   on_node_lib N CODE        bash CODE on node N with lib.sh loaded
#   crm_any CMD...            a cluster command on the first live node
#   node_name N, node_addr N  nodeN and its address; node_alive N
#   node_kill N               every process of node N dies at once, no clean
#                             shutdown (what fencing does); node_start N boots
#                             it again
#   node_standby N, node_online N
#   resource_node RSC         the node RSC runs on (empty while stopped)
#   wait_resource_on RSC NODE S, wait_resource_off RSC NODE S,
#   wait_node_offline N S     bounded polls
#   cluster_status            crm_mon -1 -r of a live node, for the log
#   node_xpath N EXPR         XPath over node N's crm_mon XML
#   cluster_node_device N     the PCI device node N owns by convention
#   cluster_install_agents    gpupool's OCF agents where Pacemaker finds them
#   cluster_node_memory N     processes and PSS of node N
#   cluster_destroy           kill every node, remove namespaces and files

CLUSTER_DIR=${CLUSTER_DIR:-/var/lib/gpcluster}
CLUSTER_SHARED=$CLUSTER_DIR/shared
CLUSTER_NET=${CLUSTER_NET:-10.213.7}
CLUSTER_BRIDGE=${CLUSTER_BRIDGE:-gpcbr0}
CLUSTER_NAME=${CLUSTER_NAME:-gpupool-test}
# Names of the network namespaces (PREFIX-nodeN) and host links (PREFIX-vethN).
CLUSTER_PREFIX=${CLUSTER_PREFIX:-gpc}
# CLUSTER_OCF_DIR (optional): a directory of OCF provider directories
# (PROVIDER/AGENT) that every node finds in /usr/lib/ocf/resource.d, where
# Pacemaker looks, besides this host's providers, without installing
# anything on this host (outside the demo host, whose files are in RAM,
# that matters).
# CLUSTER_NODE_ENV (optional): NAME=VALUE words exported in every node
# before its daemons start, so that pacemaker-execd passes them to the
# resource agents.
# What a node keeps "on disk", each bind-mounted from its own directory.
CLUSTER_NODE_DIRS="/etc/libvirt /etc/corosync /etc/gpupool /var/lib/libvirt /var/lib/pacemaker /var/lib/corosync /var/cache/libvirt /var/log"
# libvirtd of a node also listens on TCP (no auth, private bridge only), so
# that a domain can migrate between nodes with qemu+tcp:// and no ssh.
CLUSTER_LIBVIRTD_OPTS=--listen

node_name() { echo "node$1"; }
_node_ns() { echo "$CLUSTER_PREFIX-node$1"; }
_node_dir() { echo "$CLUSTER_DIR/nodes/node$1"; }
node_addr() { echo "$CLUSTER_NET.$1"; }
cluster_size() { cat "$CLUSTER_DIR/size" 2>/dev/null || echo 0; }

_cl_now() { cut -d' ' -f1 /proc/uptime; }
_cl_since() { awk -v a="$1" -v b="$(_cl_now)" 'BEGIN { printf "%.1f", b - a }'; }

# _node_init_pid N: the first process of node N's PID namespace, as this
# namespace numbers it (the one whose innermost pid is 1).
_node_init_pid() {
	local p
	for p in $(ip netns pids "$(_node_ns "$1")" 2>/dev/null); do
		awk '/^NSpid:/ { exit !(NF > 2 && $NF == 1) }' "/proc/$p/status" 2>/dev/null && { echo "$p"; return 0; }
	done
	return 1
}

node_alive() { _node_init_pid "$1" >/dev/null; }

# on_node N CMD...: run CMD inside node N, with its hostname, files,
# network, processes and daemons; stdin/stdout/exit status pass through.
on_node() {
	local n=$1 pid
	shift
	pid=$(_node_init_pid "$n") || { echo "on_node: node$n is not running" >&2; return 125; }
	# gpupool's files are the node's own /etc/gpupool and /run/gpupool
	# (an uninstalled build would otherwise use its configure prefix's).
	nsenter -t "$pid" -m -u -i -n -p -- env CLUSTER_NODE="$n" LIBVIRTD_OPTS="$CLUSTER_LIBVIRTD_OPTS" \
		GPUPOOL_CONFDIR="${GPUPOOL_CONFDIR:-/etc/gpupool}" GPUPOOL_STATEDIR="${GPUPOOL_STATEDIR:-/run/gpupool}" "$@"
}

# on_node_lib N SHELL-CODE: run bash code on node N with lib.sh loaded, for
# lib.sh's helpers (install_hook, restart_libvirtd, ...) on that node.
on_node_lib() {
	local n=$1
	shift
	on_node "$n" bash -c ". \"\$VMDIR/lib.sh\"; $*"
}

# ---- creating nodes -------------------------------------------------------------

_cluster_corosync_conf() {
	local size=$1 i
	cat <<CONF
# Written by tests/vm/cluster.sh: a $size-node test cluster on a private bridge.
totem {
	version: 2
	cluster_name: $CLUSTER_NAME
	transport: knet
	crypto_cipher: none
	crypto_hash: none
}
nodelist {
CONF
	for ((i = 1; i <= size; i++)); do
		printf '\tnode {\n\t\tname: %s\n\t\tnodeid: %d\n\t\tring0_addr: %s\n\t}\n' "$(node_name $i)" "$i" "$(node_addr $i)"
	done
	cat <<CONF
}
quorum {
	provider: corosync_votequorum
$([ "$size" = 2 ] && printf '\t# two nodes: the survivor of a node loss keeps quorum (implies wait_for_all)\n\ttwo_node: 1')
}
logging {
	to_logfile: yes
	logfile: /var/log/corosync/corosync.log
	to_stderr: no
	to_syslog: no
	timestamp: on
}
CONF
}

# _cluster_node_files N SIZE: node N's directories, as a freshly installed
# host has them (libvirt's from the demo host, without its domains and
# hooks; pacemaker's owned by hacluster).
_cluster_node_files() {
	local n=$1 nd d
	nd=$(_node_dir "$n")
	rm -rf "$nd"
	for d in $CLUSTER_NODE_DIRS; do mkdir -p "$nd$d"; done
	cp -a /etc/libvirt/. "$nd/etc/libvirt/"
	rm -rf "$nd"/etc/libvirt/hooks/* "$nd"/etc/libvirt/qemu/*.xml "$nd"/etc/libvirt/qemu/autostart \
		"$nd"/etc/libvirt/qemu/networks/autostart/*
	cat >> "$nd/etc/libvirt/libvirtd.conf" <<CONF

# tests/vm/cluster.sh: migration between nodes over qemu+tcp:// (private bridge only).
listen_tls = 0
listen_tcp = 1
listen_addr = "$(node_addr "$n")"
auth_tcp = "none"
CONF
	cp -a /var/lib/libvirt/. "$nd/var/lib/libvirt/"
	rm -rf "$nd"/var/lib/libvirt/qemu/domain-* "$nd"/var/lib/libvirt/qemu/save/* 2>/dev/null
	# The demo host's libvirtd already probed QEMU: reuse its capability
	# cache instead of probing again per node (seconds under TCG).
	cp -a /var/cache/libvirt/. "$nd/var/cache/libvirt/"
	_cluster_corosync_conf "$2" > "$nd/etc/corosync/corosync.conf"
	mkdir -p "$nd"/var/lib/pacemaker/{cib,pengine,blackbox,cores} "$nd"/var/log/pacemaker/bundles \
		"$nd"/var/log/corosync "$nd"/var/log/libvirt/qemu "$nd"/var/log/crmsh
	cp "$CLUSTER_DIR/cib-seed.xml" "$nd/var/lib/pacemaker/cib/cib.xml"
	chown -R hacluster:haclient "$nd/var/lib/pacemaker" "$nd/var/log/pacemaker"
	chmod 0750 "$nd"/var/lib/pacemaker/*
	chmod 0770 "$nd/var/log/pacemaker"
}

# _cluster_cib_seed FILE: the CIB every node starts from, written with the
# CIB tools on a file (no cluster needed): the test cluster's options, so
# that resources can start as soon as the cluster forms. pacemaker-based
# accepts an on-disk CIB without its .sig digest file.
#  - stonith-enabled=false: there is no fence device; node_kill stands in
#    for fencing (the node really is dead), and with fencing disabled the
#    survivors treat a lost node as down at once and recover its resources.
#  - dc-deadtime=5s (default 20s): how long a starting node waits for an
#    existing DC before holding an election; the nodes start together on
#    one bridge, so waiting longer only delays every scenario.
#  - resource-stickiness=100: a domain stays where it runs when a node
#    comes back (the default 0 may move it back, a needless restart).
_cluster_cib_seed() {
	cibadmin --empty > "$1" &&
	CIB_file=$1 crm_attribute -t crm_config -n stonith-enabled -v false &&
	CIB_file=$1 crm_attribute -t crm_config -n dc-deadtime -v "${CLUSTER_DC_DEADTIME:-5s}" &&
	CIB_file=$1 cibadmin --create -o configuration --xml-text \
		'<rsc_defaults><meta_attributes id="rsc-options"><nvpair id="rsc-options-resource-stickiness" name="resource-stickiness" value="100"/></meta_attributes></rsc_defaults>'
}

# _cluster_node_main N: PID 1 of node N (run by node_start inside the new
# namespaces): mounts, hostname, daemons, then reaps orphans forever.
_cluster_node_main() {
	local n=$1 nd d i
	nd=$(_node_dir "$n")
	export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
	hostname "$(node_name "$n")"
	for d in $CLUSTER_NODE_DIRS; do
		mkdir -p "$d" && mount --bind "$nd$d" "$d" || echo "node$n: cannot bind $d"
	done
	mount --bind "$CLUSTER_DIR/hosts" /etc/hosts
	[ -d "$CLUSTER_DIR/resource.d" ] && mount --bind "$CLUSTER_DIR/resource.d" /usr/lib/ocf/resource.d
	mount -t tmpfs -o mode=0755 tmpfs /run
	mkdir -p /run/lock /run/libvirt /run/gpupool /run/crm
	chown hacluster:haclient /run/crm
	# libqb (corosync, pacemaker) keeps its IPC rings in /dev/shm, named
	# after pids, and pids repeat across nodes' PID namespaces.
	mount -t tmpfs -o mode=1777 tmpfs /dev/shm
	# Hide the other nodes' directories; shared/ stays visible.
	mount -t tmpfs -o mode=0700 tmpfs "$CLUSTER_DIR/nodes"
	echo "node$n: namespaces ready, starting virtlogd, libvirtd, corosync, pacemakerd"

	for d in $CLUSTER_NODE_ENV; do export "$d"; done
	virtlogd -d
	libvirtd -d $CLUSTER_LIBVIRTD_OPTS
	setsid corosync -f > /var/log/corosync/stdout.log 2>&1 < /dev/null &
	# pacemakerd gives up when corosync does not answer yet.
	for ((i = 0; i < 300; i++)); do
		corosync-cmapctl -g totem.cluster_name > /dev/null 2>&1 && break
		sleep 0.2
	done
	setsid pacemakerd > /var/log/pacemaker/stdout.log 2>&1 < /dev/null &
	echo "node$n: daemons started"
	# PID 1 of the namespace: bash reaps every child (orphans included)
	# while it waits for sleep.
	while :; do sleep 3600; done
}

# node_start N: boot node N (its files must exist: cluster_create made
# them; after node_kill they are what its "disk" kept). NODE_STARTED_AT is
# the uptime at the boot.
node_start() {
	local n=$1 ns i
	ns=$(_node_ns "$n")
	node_alive "$n" && { echo "node_start: node$n already runs" >&2; return 1; }
	NODE_STARTED_AT=$(_cl_now)
	setsid -f ip netns exec "$ns" unshare --mount --uts --ipc --pid --fork --mount-proc --propagation private \
		env CLUSTER_DIR="$CLUSTER_DIR" CLUSTER_NET="$CLUSTER_NET" VMDIR="$VMDIR" CLUSTER_NODE_ENV="${CLUSTER_NODE_ENV:-}" \
		bash -c ". '$VMDIR/cluster.sh'; _cluster_node_main $n" \
		>> "$CLUSTER_DIR/node$n.console" 2>&1 < /dev/null
	for ((i = 0; i < 100; i++)); do
		node_alive "$n" && return 0
		sleep 0.1
	done
	echo "node_start: node$n did not start (see $CLUSTER_DIR/node$n.console)" >&2
	return 1
}

# cluster_create SIZE: the bridge, SIZE nodes' networks and files, and
# every node booted (corosync and pacemaker started, not yet formed).
cluster_create() {
	local size=$1 n ns
	[ "$size" -ge 2 ] 2>/dev/null || { echo "cluster_create: need at least 2 nodes" >&2; return 1; }
	[ -e "$CLUSTER_DIR/size" ] && { echo "cluster_create: a cluster exists in $CLUSTER_DIR" >&2; return 1; }
	command -v corosync > /dev/null && command -v pacemakerd > /dev/null ||
		{ echo "cluster_create: corosync/pacemaker missing: apt-get install -y pacemaker corosync" >&2; return 1; }
	modprobe -q bridge 2>/dev/null
	modprobe -q veth 2>/dev/null
	mkdir -p "$CLUSTER_DIR/nodes" "$CLUSTER_SHARED"
	echo "$size" > "$CLUSTER_DIR/size"
	{
		echo "127.0.0.1 localhost"
		for ((n = 1; n <= size; n++)); do echo "$(node_addr $n) $(node_name $n)"; done
	} > "$CLUSTER_DIR/hosts"
	_cluster_cib_seed "$CLUSTER_DIR/cib-seed.xml" || { echo "cluster_create: cannot write the initial CIB" >&2; return 1; }
	if [ -n "${CLUSTER_OCF_DIR:-}" ]; then
		mkdir -p "$CLUSTER_DIR/resource.d" &&
		cp -a /usr/lib/ocf/resource.d/. "$CLUSTER_OCF_DIR"/. "$CLUSTER_DIR/resource.d/" ||
			{ echo "cluster_create: cannot gather the OCF agents of $CLUSTER_OCF_DIR" >&2; return 1; }
	fi
	ip link add "$CLUSTER_BRIDGE" type bridge forward_delay 0 || return 1
	ip addr add "$CLUSTER_NET.254/24" dev "$CLUSTER_BRIDGE"
	ip link set "$CLUSTER_BRIDGE" up
	for ((n = 1; n <= size; n++)); do
		ns=$(_node_ns $n)
		ip netns add "$ns" || return 1
		ip link add "$CLUSTER_PREFIX-veth$n" type veth peer name eth0 netns "$ns" || return 1
		ip link set "$CLUSTER_PREFIX-veth$n" master "$CLUSTER_BRIDGE" up
		ip -n "$ns" addr add "$(node_addr $n)/24" dev eth0
		ip -n "$ns" link set lo up
		ip -n "$ns" link set eth0 up
		_cluster_node_files $n "$size" || return 1
	done
	for ((n = 1; n <= size; n++)); do node_start $n || return 1; done
}

# cluster_destroy: every node killed, namespaces, links and files removed.
# Fails (and says what) if a process of a node survived.
cluster_destroy() {
	local size n ns left=0 i
	size=$(cluster_size)
	for ((n = 1; n <= size; n++)); do
		node_alive $n && kill -KILL "$(_node_init_pid $n)" 2>/dev/null
	done
	for ((n = 1; n <= size; n++)); do
		ns=$(_node_ns $n)
		for ((i = 0; i < 100; i++)); do
			[ -z "$(ip netns pids "$ns" 2>/dev/null)" ] && break
			# Whatever entered the namespace without joining its PID namespace.
			kill -KILL $(ip netns pids "$ns") 2>/dev/null
			sleep 0.1
		done
		if [ -n "$(ip netns pids "$ns" 2>/dev/null)" ]; then
			echo "cluster_destroy: node$n processes left: $(ip netns pids "$ns" | tr '\n' ' ')" >&2
			left=1
		fi
		ip netns del "$ns" 2>/dev/null
		ip link del "$CLUSTER_PREFIX-veth$n" 2>/dev/null
	done
	ip link del "$CLUSTER_BRIDGE" 2>/dev/null
	[ "$left" = 0 ] && rm -rf "$CLUSTER_DIR"
	return $left
}

# cluster_scenario SIZE: the preamble of a cluster scenario: SIZE nodes
# booted (not yet formed) and, at exit, diagnostics on failure, then every
# node killed and the demo host reset (reset_host), so the next scenario
# finds no daemon, namespace or bound device left.
cluster_scenario() {
	local c
	for c in corosync pacemakerd crm_mon crm_attribute crm_standby crm_resource crm xmllint nsenter unshare ip; do
		command -v "$c" > /dev/null || fail "$c not found: apt-get install -y pacemaker pacemaker-cli-utils corosync crmsh resource-agents libxml2-utils"
	done
	[ -x /usr/lib/ocf/resource.d/heartbeat/VirtualDomain ] ||
		fail "ocf:heartbeat:VirtualDomain not found: apt-get install -y resource-agents"
	gpupool_env
	cluster_destroy > /dev/null 2>&1
	trap 'rc=$?; [ $rc -ne 0 ] && [ $rc -ne 77 ] && cluster_diagnostics; cluster_destroy || rc=1; reset_host; exit $rc' EXIT
	cluster_create "$1" || fail "creating a $1-node cluster failed"
	note "$1 nodes booted: $(for ((c = 1; c <= $1; c++)); do printf '%s=%s ' "$(node_name $c)" "$(node_addr $c)"; done)"
}

# cluster_node_device N: the PCI address of the device node N owns by
# convention: node1 the first bochs-display, node2 the second, node3 the
# virtio-gpu (another model). The demo host has all of them; each node's
# own /etc/gpupool is what makes a device that node's.
cluster_node_device() {
	case "$1" in
	1) pci_by_id $ID_BOCHS | sed -n 1p ;;
	2) pci_by_id $ID_BOCHS | sed -n 2p ;;
	3) pci_by_id $ID_VIRTIO_GPU | sed -n 1p ;;
	*) return 1 ;;
	esac
}

# cluster_install_agents: gpupool's resource agents as a package installs
# them, in /usr/lib/ocf/resource.d/gpupool/ (every node sees the demo
# host's /usr), and the gpupool command at the path they run it from
# (their configure prefix's bindir): a wrapper that runs the build tree's
# command with its schemas and plugins, and the node's own /etc/gpupool and
# /run/gpupool (an uninstalled build would use its prefix's directories).
# With the packages installed (demo-host --installed), gpupool-pacemaker
# put them there and they run the installed gpupool: nothing to do but
# check.
cluster_install_agents() {
	local a cli
	if [ "${GPUPOOL_INSTALLED:-}" = 1 ]; then
		for a in GpuDomain PoolCapacity; do
			[ -x "/usr/lib/ocf/resource.d/gpupool/$a" ] ||
				{ echo "cluster_install_agents: ocf:gpupool:$a not installed: dpkg -i gpupool-pacemaker_*.deb" >&2; return 1; }
		done
		echo "agents of package $(dpkg-query -W -f '${Package} ${Version}' gpupool-pacemaker) in /usr/lib/ocf/resource.d/gpupool"
		return 0
	fi
	for a in GpuDomain PoolCapacity; do
		[ -x "$BUILDDIR/ocf/$a" ] || { echo "cluster_install_agents: $BUILDDIR/ocf/$a not built" >&2; return 1; }
		install -D -m 0755 "$BUILDDIR/ocf/$a" "/usr/lib/ocf/resource.d/gpupool/$a" || return 1
	done
	cli=$(sed -n 's/^GPUPOOL=\${GPUPOOL_CLI:-\(.*\)}$/\1/p' "$BUILDDIR/ocf/GpuDomain")
	[ -n "$cli" ] || { echo "cluster_install_agents: cannot tell which gpupool the agents run" >&2; return 1; }
	mkdir -p "$(dirname "$cli")"
	cat > "$cli" <<WRAPPER
#!/bin/sh
# Installed by tests/vm/cluster.sh: the build tree's gpupool for the agents.
export GPUPOOL_CONFDIR=/etc/gpupool GPUPOOL_STATEDIR=/run/gpupool
${GPUPOOL_SCHEMADIR:+export GPUPOOL_SCHEMADIR='$GPUPOOL_SCHEMADIR'}
${GPUPOOL_PLUGINDIR:+export GPUPOOL_PLUGINDIR='$GPUPOOL_PLUGINDIR'}
exec '$GPUPOOL' "\$@"
WRAPPER
	chmod 0755 "$cli"
	echo "agents in /usr/lib/ocf/resource.d/gpupool, running $cli"
}

# cluster_node_memory N: processes and proportional memory (PSS) of node N.
cluster_node_memory() {
	local pids kib
	pids=$(ip netns pids "$(_node_ns "$1")" 2>/dev/null)
	kib=$(for p in $pids; do awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null; done | awk '{ s += $1 } END { print s + 0 }')
	echo "$(node_name "$1"): $(echo $pids | wc -w) processes, $((kib / 1024)) MiB PSS"
}

# ---- cluster state --------------------------------------------------------------

# crm_any CMD...: run a cluster command on the first live node.
crm_any() {
	local n size
	size=$(cluster_size)
	for ((n = 1; n <= size; n++)); do
		node_alive $n && { on_node $n "$@"; return; }
	done
	echo "crm_any: no live node" >&2
	return 125
}

# node_xpath N EXPR: XPath EXPR (xmllint) over node N's crm_mon XML.
node_xpath() {
	local n=$1 expr=$2 xml
	xml=$(on_node "$n" crm_mon -1 --output-as=xml 2>/dev/null) || return 1
	printf '%s\n' "$xml" | xmllint --xpath "$expr" - 2>/dev/null
}

# cluster_formed: every live node sees every live node online and a DC.
cluster_formed() {
	local size n alive=0 online dc
	size=$(cluster_size)
	for ((n = 1; n <= size; n++)); do node_alive $n && alive=$((alive + 1)); done
	[ "$alive" -gt 0 ] || return 1
	for ((n = 1; n <= size; n++)); do
		node_alive $n || continue
		online=$(node_xpath $n "count(//nodes/node[@online='true'])") || return 1
		dc=$(node_xpath $n "string(//current_dc/@present)") || return 1
		[ "$online" = "$alive" ] && [ "$dc" = true ] || return 1
	done
}

# cluster_wait_formed [SECS]: wait (default 180 s) until cluster_formed;
# CLUSTER_FORMED_SECS is the time since the last node_start.
cluster_wait_formed() {
	local limit=${1:-180} t
	t=$(_cl_now)
	while ! cluster_formed; do
		[ "$(_cl_since "$t" | cut -d. -f1)" -ge "$limit" ] && { echo "cluster did not form within ${limit}s" >&2; return 1; }
		sleep 1
	done
	CLUSTER_FORMED_SECS=$(_cl_since "${NODE_STARTED_AT:-$t}")
}

node_standby() { crm_any crm_standby -N "$(node_name "$1")" -v on; }
node_online() { crm_any crm_standby -N "$(node_name "$1")" -v off; }

# resource_node RSC: the node RSC is started on, as a live node's crm_mon
# says (empty while stopped, starting or unknown).
resource_node() {
	local xml
	xml=$(crm_any crm_mon -1 -r --output-as=xml 2>/dev/null) || return 0
	printf '%s\n' "$xml" | xmllint --xpath \
		"string(//resources//resource[@id='$1'][@role='Started'][@active='true'][@failed='false']/node/@name)" - 2>/dev/null
}

# wait_resource_on RSC NODE SECS: poll until RSC runs on NODE (a name).
wait_resource_on() {
	local rsc=$1 node=$2 limit=$3 t
	t=$(_cl_now)
	while [ "$(resource_node "$rsc")" != "$node" ]; do
		[ "$(_cl_since "$t" | cut -d. -f1)" -ge "$limit" ] && { echo "$rsc did not run on $node within ${limit}s" >&2; return 1; }
		sleep 1
	done
	WAITED_SECS=$(_cl_since "$t")
}

# wait_resource_off RSC NODE SECS: poll until RSC runs on a node other
# than NODE (a name); RESOURCE_NODE is where.
wait_resource_off() {
	local rsc=$1 node=$2 limit=$3 t
	t=$(_cl_now)
	while :; do
		RESOURCE_NODE=$(resource_node "$rsc")
		[ -n "$RESOURCE_NODE" ] && [ "$RESOURCE_NODE" != "$node" ] && break
		[ "$(_cl_since "$t" | cut -d. -f1)" -ge "$limit" ] && { echo "$rsc did not run elsewhere than $node within ${limit}s" >&2; return 1; }
		sleep 1
	done
	WAITED_SECS=$(_cl_since "$t")
}

# wait_node_offline N SECS: poll until a live node's crm_mon shows node N offline.
wait_node_offline() {
	local name limit=$2 t
	name=$(node_name "$1")
	t=$(_cl_now)
	until [ "$(crm_any crm_mon -1 --output-as=xml 2>/dev/null | xmllint --xpath "string(//nodes/node[@name='$name']/@online)" - 2>/dev/null)" = false ]; do
		[ "$(_cl_since "$t" | cut -d. -f1)" -ge "$limit" ] && { echo "$name not seen offline within ${limit}s" >&2; return 1; }
		sleep 0.5
	done
	WAITED_SECS=$(_cl_since "$t")
}

# node_kill N: what a fence device does: every process of node N, QEMU
# included, dies at once with no clean shutdown. NODE_KILLED_AT is the
# uptime at the kill.
node_kill() {
	local n=$1 pid i
	pid=$(_node_init_pid "$n") || { echo "node_kill: node$n is not running" >&2; return 1; }
	NODE_KILLED_AT=$(_cl_now)
	kill -KILL "$pid"
	for ((i = 0; i < 100; i++)); do
		[ -z "$(ip netns pids "$(_node_ns "$n")" 2>/dev/null)" ] && return 0
		sleep 0.1
	done
	echo "node_kill: node$n still has processes: $(ip netns pids "$(_node_ns "$n")" | tr '\n' ' ')" >&2
	return 1
}

cluster_status() { crm_any crm_mon -1 -r; }

# cluster_diagnostics: what a failed scenario needs to see.
cluster_diagnostics() {
	local size n nd
	size=$(cluster_size)
	echo "    ---- cluster diagnostics"
	cluster_status 2>&1 | sed 's/^/    /'
	for ((n = 1; n <= size; n++)); do
		nd=$(_node_dir $n)
		echo "    ---- node$n ($(node_alive $n && echo alive || echo dead)): console, pacemaker, corosync (tails)"
		tail -n 20 "$CLUSTER_DIR/node$n.console" 2>/dev/null | sed 's/^/    /'
		tail -n 40 "$nd/var/log/pacemaker/pacemaker.log" 2>/dev/null | sed 's/^/    /'
		tail -n 20 "$nd/var/log/corosync/corosync.log" 2>/dev/null | sed 's/^/    /'
	done
}
