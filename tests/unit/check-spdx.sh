#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Every source file of the repository states its licence in an SPDX line,
# "SPDX-License-Identifier: GPL-2.0-or-later", in its first three lines:
# C and headers, shell and other scripts, m4, configure.ac, Makefile.am and
# the local.mk fragments, RelaxNG schemas, man page sources, templates
# (*.in), the completion and the Debian maintainer scripts.  Data (XML
# examples and test inputs, fuzz seeds and dictionaries, pci.ids) and
# documents (*.md, COPYING, debian/ metadata) are not source.
#
#   check-spdx.sh [TOP_SRCDIR]
#   check-spdx.sh --self-test   the check must catch a file without it
#
# The files are the ones git tracks: from a release tarball (no .git) the
# check cannot tell ours from what autoreconf added, and skips.
set -u
line='SPDX-License-Identifier: GPL-2.0-or-later'

# is_source PATH FILE: does the rule above cover PATH?
is_source() {
	case $1 in
	*.c|*.h|*.sh|*.mk|*.am|*.ac|*.m4|*.rng|*.scd|*.in|*.supp) return 0 ;;
	completion/*|debian/rules|debian/*.postinst|debian/*.postrm|debian/*.preinst|debian/*.prerm) return 0 ;;
	esac
	# Scripts by their first line, whatever their name.
	[ "$(head -c 2 "$2" 2>/dev/null)" = '#!' ]
}

check_tree() { # TOP: one line per file without the SPDX line; 1 if any
	top=$1 bad=0 n=0
	files=$(git -C "$top" ls-files) || return 2
	for f in $files; do
		[ -f "$top/$f" ] || continue
		is_source "$f" "$top/$f" || continue
		n=$((n + 1))
		if ! head -n 3 "$top/$f" | grep -q "$line"; then
			echo "$f: no '$line' in its first three lines"
			bad=$((bad + 1))
		fi
	done
	[ "$n" -gt 0 ] || { echo "check-spdx: no source file found in $top"; return 1; }
	[ "$bad" -eq 0 ] || { echo "check-spdx: $bad of $n source files lack the SPDX line"; return 1; }
	echo "check-spdx: all $n source files carry the SPDX line"
}

if [ "${1:-}" = --self-test ]; then
	command -v git >/dev/null 2>&1 || { echo "SKIP: git not installed"; exit 77; }
	tmp=$(mktemp -d) || exit 99
	trap 'rm -rf "$tmp"' EXIT
	git -C "$tmp" init -q || exit 99
	mkdir -p "$tmp/src" "$tmp/tests/data"
	printf '/* %s */\nint x;\n' "$line" > "$tmp/src/a.c"
	printf '#!/bin/sh\n# %s\ntrue\n' "$line" > "$tmp/tests/run"
	printf '<pool/>\n' > "$tmp/tests/data/pool.xml"
	git -C "$tmp" add . || exit 99
	out=$(check_tree "$tmp") || { echo "FAIL: a tree with the line everywhere was refused: $out"; exit 1; }
	# Each kind of source without the line is caught, and named.
	for f in src/b.h tests/x.sh src/local.mk tests/tool; do
		case $f in
		tests/tool) printf '#!/bin/bash\necho hi\n' > "$tmp/$f" ;;
		*) printf '# no licence\n' > "$tmp/$f" ;;
		esac
		git -C "$tmp" add "$f" || exit 99
		if out=$(check_tree "$tmp"); then
			echo "FAIL: $f without the line was not caught"; exit 1
		fi
		case $out in
		*"$f: no"*) ;;
		*) echo "FAIL: $f not named: $out"; exit 1 ;;
		esac
		git -C "$tmp" rm -q --cached "$f" && rm -f "$tmp/$f"
	done
	# A line further down does not count.
	printf 'int y;\n\n\n/* %s */\n' "$line" > "$tmp/src/late.c"
	git -C "$tmp" add src/late.c || exit 99
	if check_tree "$tmp" >/dev/null; then echo "FAIL: an SPDX line on line 4 was accepted"; exit 1; fi
	echo "check-spdx self-test passed"
	exit 0
fi

top=${1:-${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}}
# A release tarball unpacked inside some other checkout (make distcheck
# in a build directory within the clone) is not a checkout of its own:
# only a tree that is the top of its work tree has tracked files to check.
if ! command -v git >/dev/null 2>&1 ||
	[ "$(git -C "$top" rev-parse --show-toplevel 2>/dev/null)" != "$(cd "$top" && pwd -P)" ]; then
	echo "SKIP: $top is not a git checkout (a release tarball): the tracked files are unknown"
	exit 77
fi
check_tree "$top"
