#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The layering check must catch every kind of break of src/LAYERS.
exec "$(dirname "$0")/check-layers.sh" --self-test
