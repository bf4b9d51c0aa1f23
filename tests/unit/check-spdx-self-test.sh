#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The licence check must catch every kind of source file without the line.
exec "$(dirname "$0")/check-spdx.sh" --self-test
