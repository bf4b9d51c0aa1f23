#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Every example in xml/ must validate against its schema, and every schema
# must have an example.  An example xml/NAME.xml or xml/NAME-WHATEVER.xml
# belongs to xml/NAME.rng (the longest NAME that has a schema wins).
set -u
srcdir=${top_srcdir:-$(dirname "$0")/../..}
xmldir=$srcdir/xml
XMLLINT=${XMLLINT:-xmllint}

if ! command -v "$XMLLINT" >/dev/null 2>&1; then
	echo "SKIP: xmllint not found (Debian package libxml2-utils)"
	exit 77
fi

status=0
checked=0
for example in "$xmldir"/*.xml; do
	[ -e "$example" ] || continue
	base=$(basename "$example" .xml)
	schema=
	for rng in "$xmldir"/*.rng; do
		name=$(basename "$rng" .rng)
		case $base in
		"$name"|"$name"-*)
			if [ -z "$schema" ] || [ ${#name} -gt ${#schema} ]; then
				schema=$name
			fi
			;;
		esac
	done
	if [ -z "$schema" ]; then
		echo "FAIL: $example has no schema: name it after one (xml/SCHEMA-what.xml)"
		status=1
		continue
	fi
	if ! "$XMLLINT" --noout --relaxng "$xmldir/$schema.rng" "$example" 2>&1; then
		echo "FAIL: $example does not validate against xml/$schema.rng"
		status=1
	fi
	checked=$((checked + 1))
done

for rng in "$xmldir"/*.rng; do
	[ -e "$rng" ] || continue
	name=$(basename "$rng" .rng)
	found=no
	for example in "$xmldir/$name.xml" "$xmldir/$name"-*.xml; do
		[ -e "$example" ] && found=yes
	done
	if [ $found = no ]; then
		echo "FAIL: $rng has no example: add xml/$name-example.xml"
		status=1
	fi
done

echo "checked $checked examples"
exit $status
