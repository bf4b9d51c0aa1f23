#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Every program gpupool installs is a position-independent executable with
# a read-only relocation segment, so that the distribution's hardening
# (ASLR of the program itself, RELRO) applies to all of them; and the hook
# gate, which libvirt runs for every domain of the host, links the C
# library alone, dynamically (picking up libc's security fixes), and
# nothing else (a sanitized build adds the sanitizers' runtimes); and the
# hook's domain part, the module the gate loads to claim and release,
# links no libxml2 (GP_HOOK_MODULE names it).
#
# GP_PROGRAMS: the programs, as the build tree names them (the Makefile
# passes bin_PROGRAMS and libexec_PROGRAMS).
set -u
builddir=${top_builddir:-.}
command -v readelf >/dev/null 2>&1 || { echo "SKIP: readelf not found (binutils)"; exit 77; }
[ -n "${GP_PROGRAMS:-}" ] || { echo "FAIL: GP_PROGRAMS is empty"; exit 1; }

failures=0
bad() { echo "FAIL: $*"; failures=$((failures + 1)); }
for p in $GP_PROGRAMS; do
	f=$builddir/$p
	[ -f "$f" ] || { bad "$p not built"; continue; }
	if ! readelf -h "$f" 2>/dev/null | grep -q 'Type: *DYN'; then
		bad "$p is not position-independent (ELF type $(readelf -h "$f" 2>/dev/null | sed -n 's/^ *Type: *//p'))"
		continue
	fi
	readelf -d "$f" | grep -q 'FLAGS_1.*PIE' || bad "$p is a shared object, not a PIE program"
	readelf -l "$f" | grep -q 'GNU_RELRO' || bad "$p has no RELRO segment"
	readelf -l "$f" | grep -q 'INTERP' || bad "$p has no program interpreter (static-pie?)"
	case $p in
	*/gpupool-hook)
		needed=$(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' |
			grep -v -x -e 'libc.so.6' -e 'libasan.so.[0-9]*' -e 'libubsan.so.[0-9]*')
		[ -z "$needed" ] || bad "$p links more than libc: $(echo $needed)"
		;;
	esac
	[ "$failures" -eq 0 ] && echo "ok: $p"
done
# The claim and release path: libxml2 (and the ICU and C++ runtime it
# pulls in) only in gpupool-hook-domain-xml; libvirt nowhere.
if [ -n "${GP_HOOK_MODULE:-}" ]; then
	f=$builddir/$GP_HOOK_MODULE
	if [ ! -f "$f" ]; then
		bad "$GP_HOOK_MODULE not built"
	else
		readelf -d "$f" | grep -q 'NEEDED.*libxml2' && bad "$GP_HOOK_MODULE links libxml2"
		readelf -d "$f" | grep -q 'NEEDED.*libvirt' && bad "$GP_HOOK_MODULE links libvirt"
		[ "$failures" -eq 0 ] && echo "ok: $GP_HOOK_MODULE"
	fi
fi
[ "$failures" -eq 0 ] || { echo "$failures program check(s) failed"; exit 1; }
