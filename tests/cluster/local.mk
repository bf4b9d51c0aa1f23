# SPDX-License-Identifier: GPL-2.0-or-later
# The cluster tier, offline: the resource agents run as pacemaker-execd
# runs them and Pacemaker's placement replayed with crm_simulate, on
# simulated nodes (sim-nodes.sh) and a CIB file; no cluster daemons.
# They use the integration tier's simulated hosts (gp-it-host) and the
# simulated kernel preloaded, so they run with the test suites.
EXTRA_DIST += tests/cluster/sim-nodes.sh tests/cluster/test-agents.sh \
	tests/cluster/test-placement.sh tests/cluster/crm-simulate-placement
if ENABLE_TESTS
TESTS += tests/cluster/test-agents.sh tests/cluster/test-placement.sh
endif
