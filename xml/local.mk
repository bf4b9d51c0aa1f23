# RelaxNG schemas (installed; the core validates input against them) and
# examples (checked against the schemas by make check).
gp_schemas =
gp_xml_examples =
dist_pkgdata_DATA += $(gp_schemas)
EXTRA_DIST += $(gp_xml_examples)
