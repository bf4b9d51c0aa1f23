# The thin scripts libvirt executes.
