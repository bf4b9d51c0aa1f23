#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Holds every source file to the layering rule in src/LAYERS: a file may
# include its own folder's headers and those its folder's line names, by
# their path from the top of the tree ("base/sysfs.h" for src/base,
# "plugin/backend.h", "hooks/hook-ops.h"; plugin/ files by bare name, as
# they see only their own folder); <libvirt/...> only where the rule's
# libvirt line allows it.  With BUILT hook programs at hand, also checks
# that they are not linked against libvirt.
#
#   check-layers.sh [TOP_SRCDIR [TOP_BUILDDIR]]
#   check-layers.sh --self-test   the check must catch a broken rule
set -u

check_tree() { # TOP [BUILD]: print one line per violation; exit 1 if any
	top=$1 build=${2:-}
	rules=$top/src/LAYERS
	[ -r "$rules" ] || { echo "check-layers: $rules missing"; return 1; }
	awk -v top="$top" '
		function folder_of(path) { sub(/\/[^\/]*$/, "", path); return path }
		# A quoted include as the tree names it: src/ layers by their
		# folder under src, everything else from the top.
		function resolve(inc, from) {
			if (from == "plugin") return "plugin/" inc
			if (inc ~ /^(base|host|state|policy|ledger|ops|cluster|virt|cli)\//) return "src/" inc
			return inc
		}
		FNR == NR {
			sub(/#.*/, "")
			if ($0 !~ /:/) next
			name = $1; sub(/:$/, "", name)
			if (name == "libvirt") { for (i = 2; i <= NF; i++) { virt[$i] = 1; virts = virts " " $i }; next }
			known[name] = 1
			for (i = 2; i <= NF; i++) allow[name, $i] = 1
			next
		}
		FNR == 1 { file = FILENAME; rel = substr(file, length(top) + 2); from = folder_of(rel) }
		/^[ \t]*#[ \t]*include[ \t]*</ {
			if ($0 ~ /<libvirt\// && !(from in virt)) {
				printf "%s:%d: includes libvirt'"'"'s headers, which only%s may (src/LAYERS)\n", rel, FNR, virts
				bad++
			}
			next
		}
		/^[ \t]*#[ \t]*include[ \t]*"/ {
			inc = $0; sub(/^[^"]*"/, "", inc); sub(/".*$/, "", inc)
			if (inc == "config.h") next
			if (!(from in known)) { printf "%s:%d: folder %s has no line in src/LAYERS\n", rel, FNR, from; bad++; next }
			if (from == "plugin" && inc ~ /\//) {
				printf "%s:%d: a back end sees only plugin/: %s\n", rel, FNR, $0; bad++; next
			}
			if (from != "plugin" && inc !~ /\//) {
				printf "%s:%d: name the folder of \"%s\" (\"base/%s\", ...), so crossings show\n", rel, FNR, inc, inc; bad++; next
			}
			path = resolve(inc, from)
			if ((getline line < (top "/" path)) < 0) {
				printf "%s:%d: no such header %s\n", rel, FNR, path; bad++; next
			}
			close(top "/" path)
			to = folder_of(path)
			if (to == from || allow[from, to] || allow[from, path]) next
			printf "%s:%d: %s may not include %s (src/LAYERS: %s)\n", rel, FNR, from, path, from
			bad++
		}
		END { exit bad > 0 }
	' "$rules" $(cd "$top" && find src hooks plugin -name '*.[ch]' | sort | sed "s|^|$top/|") || return 1
	if [ -n "$build" ]; then
		for prog in "$build/hooks/gpupool-hook" "$build/hooks/.libs/gpupool-hook-domain.so"; do
			[ -f "$prog" ] || continue
			if readelf -d "$prog" 2>/dev/null | grep -q 'NEEDED.*libvirt'; then
				echo "$prog: linked against libvirt; the hook must never call back into it (link only src/libgpupool.la)"
				return 1
			fi
		done
	fi
	return 0
}

if [ "${1:-}" = --self-test ]; then
	here=$(cd "$(dirname "$0")/../.." && pwd)
	tmp=$(mktemp -d) || exit 99
	trap 'rm -rf "$tmp"' EXIT
	fails=0
	# copy TOP without build outputs, break one thing, expect a failure
	broken() { # WHAT FILE LINE
		rm -rf "$tmp/t"; mkdir -p "$tmp/t"
		(cd "$here" && tar cf - src/LAYERS $(find src hooks plugin -name '*.[ch]')) | (cd "$tmp/t" && tar xf -)
		printf '%s\n' "$3" >> "$tmp/t/$2"
		if out=$(check_tree "$tmp/t"); then
			echo "FAIL: not caught: $1"; fails=$((fails + 1))
		else
			echo "ok: caught $1: $out"
		fi
	}
	broken "an upward include" src/base/sysfs.c '#include "ops/alloc.h"'
	broken "state reaching the host" src/state/claims.c '#include "host/vfio.h"'
	broken "policy reaching sysfs" src/policy/mmio.c '#include "base/sysfs.h"'
	broken "the hook reaching libvirt's layer" hooks/hook.c '#include "virt/assign.h"'
	broken "libvirt below virt" src/ops/alloc.c '#include <libvirt/libvirt.h>'
	broken "the cluster layer reaching libvirt's" src/cluster/runtime.c '#include "virt/assign.h"'
	broken "the hook reaching the cluster layer" hooks/hook.c '#include "cluster/runtime.h"'
	broken "a back end reaching the core" plugin/backend-pci.c '#include "base/sysfs.h"'
	broken "a bare include hiding a crossing" src/cli/cli.c '#include "sysfs.h"'
	# the unbroken copy passes
	rm -rf "$tmp/t"; mkdir -p "$tmp/t"
	(cd "$here" && tar cf - src/LAYERS $(find src hooks plugin -name '*.[ch]')) | (cd "$tmp/t" && tar xf -)
	check_tree "$tmp/t" || { echo "FAIL: the tree as it is does not pass"; fails=$((fails + 1)); }
	[ $fails -eq 0 ]
	exit
fi

top=${1:-${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}}
build=${2:-${top_builddir:-}}
check_tree "$top" "$build"
