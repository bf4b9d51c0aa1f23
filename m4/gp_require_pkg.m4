dnl SPDX-License-Identifier: GPL-2.0-or-later
dnl GP_REQUIRE_PKG(VARIABLE-PREFIX, MODULES, DEBIAN-PACKAGE)
dnl Like PKG_CHECK_MODULES, but a missing module stops configure with one
dnl line that names the Debian package to install.
AC_DEFUN([GP_REQUIRE_PKG], [
  PKG_CHECK_MODULES([$1], [$2], [],
    [AC_MSG_ERROR([$2 not found: install the Debian package $3 (apt-get install $3)])])
])
