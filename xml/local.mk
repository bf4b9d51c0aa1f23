# SPDX-License-Identifier: GPL-2.0-or-later
# RelaxNG schemas (installed; the core validates input against them) and
# examples (checked against the schemas by make check).
gp_schemas =
gp_xml_examples =
# Installed where gp_paths_schemadir() looks: $(datadir)/gpupool/schemas.
gpschemadir = $(pkgdatadir)/schemas
dist_gpschema_DATA = $(gp_schemas)
EXTRA_DIST += $(gp_xml_examples)
# Pools and claims.
gp_schemas += xml/pool.rng xml/claims.rng
gp_xml_examples += xml/pool-pci.xml xml/pool-pci-companion.xml xml/pool-mdev.xml \
	xml/pool-vf.xml xml/claims.xml
# gpupool devices --xml.
gp_schemas += xml/devices.rng
gp_xml_examples += xml/devices-example.xml
# Domain metadata written by gpupool assign; gpupool status --xml.
gp_schemas += xml/metadata.rng xml/status.rng
gp_xml_examples += xml/metadata-example.xml xml/status-example.xml
# gpupool partitions --xml.
gp_schemas += xml/partitions.rng
gp_xml_examples += xml/partitions-example.xml
# gpupool domain --xml.
gp_schemas += xml/domain-info.rng
gp_xml_examples += xml/domain-info-example.xml
# gpupool cluster-capacity --xml.
gp_schemas += xml/cluster-capacity.rng
gp_xml_examples += xml/cluster-capacity-example.xml
# gpupool cluster-status --xml.
gp_schemas += xml/cluster-status.rng
gp_xml_examples += xml/cluster-status-example.xml
