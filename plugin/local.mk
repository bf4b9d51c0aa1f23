# Device back ends behind one ops table.  The generic ones are built into
# the core library; vendor ones are loadable modules in $(pkglibdir).
gp_backend_sources =
