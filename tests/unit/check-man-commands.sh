#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# gpupool(8) documents every command the program lists and every long
# option of each command, as its --help prints them: a command or option
# added without its man page entry fails here.
set -u
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
builddir=${top_builddir:-$srcdir}
gpupool=$builddir/src/gpupool
page=$srcdir/doc/gpupool.8.scd
[ -x "$gpupool" ] || { echo "FAIL: $gpupool not built"; exit 1; }
[ -r "$page" ] || { echo "FAIL: $page missing"; exit 1; }

failures=0
cmds=$("$gpupool" --help | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }')
[ -n "$cmds" ] || { echo "FAIL: gpupool --help lists no command"; exit 1; }
for cmd in $cmds; do
	# An entry is a line starting with the command in bold.
	if ! grep -q "^\*$cmd\*" "$page"; then
		echo "FAIL: gpupool(8) has no entry for '$cmd' (a line starting with *$cmd*)"
		failures=$((failures + 1))
		continue
	fi
	# Its options: the entry runs to the next line that is not indented.
	entry=$(awk -v c="*$cmd*" 'index($0, c) == 1 { on = 1; print; next }
		on && /^[^\t ]/ && !/^$/ { exit } on { print }' "$page")
	for opt in $("$gpupool" "$cmd" --help | awk -F '  +' '/^  +-/ { n = split($2, o, ", ")
		for (i = 1; i <= n; i++) { sub(/=.*/, "", o[i]); if (o[i] ~ /^--/) print o[i] } }'); do
		[ "$opt" = --help ] && continue
		if ! grep -q -- "\*$opt\*" <<< "$entry"; then
			echo "FAIL: gpupool(8) entry of '$cmd' does not mention $opt"
			failures=$((failures + 1))
		fi
	done
done
[ "$failures" -eq 0 ] || { echo "$failures man page check(s) failed"; exit 1; }
echo "gpupool(8) documents all $(wc -w <<< "$cmds") commands and their options"
