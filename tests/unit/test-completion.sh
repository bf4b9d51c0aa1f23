#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bash completion (completion/gpupool): what a user gets from TAB after
# "gpupool", with the build tree's gpupool, a pool directory, a sysfs tree
# with a few PCI devices and an mdev parent, and a virsh that lists two
# domains (and records the URI it was asked for).
set -u
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
builddir=${top_builddir:-$srcdir}
gpupool=$builddir/src/gpupool
BASH_COMPLETION=${BASH_COMPLETION:-/usr/share/bash-completion/bash_completion}

[ -r "$BASH_COMPLETION" ] || { echo "SKIP: $BASH_COMPLETION missing (Debian package bash-completion)"; exit 77; }
[ -x "$gpupool" ] || { echo "FAIL: $gpupool not built"; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gp-completion.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
export GPUPOOL_CONFDIR=$tmp/etc GPUPOOL_SYSFS_ROOT=$tmp/sys
mkdir -p "$tmp/etc/pools" "$tmp/bin" "$tmp/sys/bus/pci/devices" \
	"$tmp/sys/class/mdev_bus/0000:00:04.0/mdev_supported_types/mdpy-vga" \
	"$tmp/sys/class/mdev_bus/0000:00:04.0/mdev_supported_types/mdpy-xga" \
	"$tmp/sys/class/mdev_bus/mbochs/mdev_supported_types/mbochs-1"
for a in 0000:00:03.0 0000:00:04.0 0000:41:00.0; do mkdir "$tmp/sys/bus/pci/devices/$a"; done
mkdir -p "$tmp/files/sub"
touch "$tmp/files/vm1.xml" "$tmp/files/notes.txt"
cat > "$tmp/etc/pools/gpus.xml" <<'XML'
<pool type='pci'>
  <name>gpus</name>
  <device address='0000:41:00.0' host-driver='nvidia'/>
</pool>
XML
printf "<pool type='mdev'>\n  <name>vgpu</name>\n</pool>\n" > "$tmp/etc/pools/vgpu.xml"
cat > "$tmp/bin/virsh" <<SH
#!/bin/sh
echo "\$*" >> "$tmp/virsh.args"
printf 'win11\nvm1\n'
SH
chmod +x "$tmp/bin/virsh"
export PATH=$tmp/bin:$PATH

# shellcheck source=/dev/null
. "$BASH_COMPLETION"
# shellcheck source=../../completion/gpupool
. "$srcdir/completion/gpupool"

failures=0
# complete LINE: what the user is offered for the last word of LINE (a
# line ending in a space completes a new, empty word), sorted.  COMP_WORDS
# is split as bash splits it, at blanks and at the word-break characters
# '=' and ':' (so PCI addresses and URIs arrive in pieces); candidates are
# shown whole, as the user sees them on the line.
complete_line() {
	local line=${1/#gpupool/$gpupool} word r
	read -r -a COMP_WORDS <<< "$(printf '%s' "$line" | sed 's/\([=:]\)/ \1 /g')"
	[[ $line == *[\ =:] ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE=$line
	COMP_POINT=${#line}
	COMPREPLY=()
	_gpupool gpupool "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	# bash replaces only the text after the last word break.
	word=${line##*[ =]}
	[[ $word == *:* ]] && word=${word%:*}: || word=
	for r in "${COMPREPLY[@]}"; do printf '%s%s\n' "$word" "$r"; done | sort | tr '\n' ' ' | sed 's/ $//'
}
expect() { # LINE EXPECTED
	local got
	got=$(complete_line "$1")
	if [ "$got" = "$2" ]; then
		echo "ok: '$1' -> $got"
	else
		echo "FAIL: '$1': expected '$2', got '$got'"
		failures=$((failures + 1))
	fi
}
expect_has() { # LINE WORD...
	local got w line=$1
	shift
	got=" $(complete_line "$line") "
	for w; do
		if [[ $got != *" $w "* ]]; then
			echo "FAIL: '$line': '$w' missing from '$got'"
			failures=$((failures + 1))
			return
		fi
	done
	echo "ok: '$line' offers $*"
}

# Every command the program lists, and only those.
expected_cmds=$("$gpupool" --help | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }' | sort | tr '\n' ' ' | sed 's/ $//')
expect "gpupool " "$expected_cmds"
expect "gpupool pool-" "$(printf '%s\n' $expected_cmds | grep '^pool-' | tr '\n' ' ' | sed 's/ $//')"
expect "gpupool --v" "--version"
# Options of one command, from its --help.
expect_has "gpupool assign vm1 --" --pool --count --mmio --connect --help
expect "gpupool devices --a" "--all"
expect "gpupool pool-create x --type " "mdev pci vf"
expect "gpupool pool-create x --type=m" "mdev"
expect "gpupool pool-create x --mdev-type " "mbochs-1 mdpy-vga mdpy-xga"
# Pool names from the pool directory.
expect "gpupool pool-info " "gpus vgpu"
expect "gpupool pool-info gpus " ""
expect "gpupool pool-add g" "gpus"
expect "gpupool pool-check gpus " "gpus vgpu"
expect "gpupool assign vm1 --pool " "gpus vgpu"
expect "gpupool assign vm1 -p v" "vgpu"
# Device addresses from sysfs; pool-remove offers the pool's members.
expect "gpupool devices " "0000:00:03.0 0000:00:04.0 0000:41:00.0"
expect "gpupool pool-add gpus 0000:00:0" "0000:00:03.0 0000:00:04.0"
expect "gpupool pool-remove gpus " "0000:41:00.0"
# The device commands take an mdev parent's name too (not a PCI device).
expect "gpupool partition-set " "0000:00:03.0 0000:00:04.0 0000:41:00.0 mbochs"
expect "gpupool partitions m" "mbochs"
expect "gpupool pool-add vgpu mb" "mbochs"
expect "gpupool partition-set 0000:00:03.0 --profile " "mbochs-1 mdpy-vga mdpy-xga"
# Domain names from virsh, on the URI the line names.
expect "gpupool assign " "vm1 win11"
expect "gpupool unassign w" "win11"
expect "gpupool domain " "vm1 win11"
expect "gpupool check vm1 " "vm1 win11"
expect "gpupool migrate-check " "vm1 win11"
expect "gpupool migrate-check vm1 " ""
expect "gpupool migrate-check vm1 --to qemu:///s" "qemu:///session qemu:///system"
# Files where a command takes one: domain XML, and directories to go on.
expect "gpupool cluster-prepare --file $tmp/files/" "$tmp/files/sub $tmp/files/vm1.xml"
expect "gpupool assign --file $tmp/files/v" "$tmp/files/vm1.xml"
expect "gpupool cluster-config vm1 --config $tmp/files/" "$tmp/files/sub $tmp/files/vm1.xml"
rm -f "$tmp/virsh.args"
expect "gpupool assign --connect qemu:///session " "vm1 win11"
if grep -q -- '-c qemu:///session' "$tmp/virsh.args" 2>/dev/null; then
	echo "ok: virsh asked on qemu:///session"
else
	echo "FAIL: virsh was not asked on the --connect URI: $(cat "$tmp/virsh.args" 2>/dev/null)"
	failures=$((failures + 1))
fi
expect "gpupool assign vm1 --connect qemu:///s" "qemu:///session qemu:///system"
expect "gpupool pool-add gpus 0000:00:03.0 0000:4" "0000:41:00.0"
# An option's value is not taken for an argument: migrate-check takes one
# domain, and its --to value is not it.
expect "gpupool migrate-check --to qemu:///system " "vm1 win11"
expect "gpupool assign vm1 --pool gpus " "vm1 win11"
expect "gpupool pool-info --xml " "gpus vgpu"

[ "$failures" -eq 0 ] || { echo "$failures completion check(s) failed"; exit 1; }
echo "all completion checks passed"
