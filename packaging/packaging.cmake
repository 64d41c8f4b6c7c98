# Debian package, built by CPack: `cmake --build build-deb --target package` -> wardwatch_<version>-<rev>_<arch>.deb
# (tests/package/test_package.sh builds it with dpkg-buildflags, lints it, installs and purges it).
#
# Two install components, packed into the one .deb:
#   (default)  the binary, rules, docs, man page, bash completion, copyright and changelog: relative paths,
#              which `cmake --install` puts under its prefix as well;
#   deb        the files with absolute paths (/etc, /lib/systemd): EXCLUDE_FROM_ALL, so a plain
#              `cmake --install build` (prefix /usr/local) never drops a unit or a config into the system.

set(WW_PKG_DIR ${PROJECT_SOURCE_DIR}/packaging)
set(WW_PKG_OUT ${PROJECT_BINARY_DIR}/packaging)
file(MAKE_DIRECTORY ${WW_PKG_OUT})
find_program(WW_GZIP gzip)

# --- the man page: wardwatch(1) from docs/wardwatch.1.scd, gzip -9n ----------------------------------
find_program(WW_SCDOC scdoc)
if(WW_SCDOC AND WW_GZIP)
  add_custom_command(
    OUTPUT ${WW_PKG_OUT}/wardwatch.1.gz
    COMMAND sh -c "'${WW_SCDOC}' < '${PROJECT_SOURCE_DIR}/docs/wardwatch.1.scd' > wardwatch.1"
    COMMAND ${WW_GZIP} -9nf wardwatch.1
    DEPENDS ${PROJECT_SOURCE_DIR}/docs/wardwatch.1.scd
    WORKING_DIRECTORY ${WW_PKG_OUT}
    COMMENT "Generating the wardwatch(1) man page with scdoc"
    VERBATIM)
  add_custom_target(wardwatch-man ALL DEPENDS ${WW_PKG_OUT}/wardwatch.1.gz)
  install(FILES ${WW_PKG_OUT}/wardwatch.1.gz DESTINATION share/man/man1)
else()
  message(STATUS "scdoc not found: no man page (apt-get install scdoc); the Debian package cannot be built")
  install(CODE "message(FATAL_ERROR \"the Debian package needs the man page: install scdoc and re-run cmake\")"
          COMPONENT deb EXCLUDE_FROM_ALL)
endif()

# --- Debian changelog, gzip -9n --------------------------------------------------------------------
add_custom_command(
  OUTPUT ${WW_PKG_OUT}/changelog.Debian.gz
  COMMAND sh -c "'${WW_GZIP}' -9nc '${WW_PKG_DIR}/changelog' > changelog.Debian.gz"
  DEPENDS ${WW_PKG_DIR}/changelog
  WORKING_DIRECTORY ${WW_PKG_OUT}
  VERBATIM)
add_custom_target(wardwatch-changelog ALL DEPENDS ${WW_PKG_OUT}/changelog.Debian.gz)

# The package version: upstream = the project's version, Debian revision = the changelog's top entry's.
file(STRINGS ${WW_PKG_DIR}/changelog WW_CHANGELOG_TOP LIMIT_COUNT 1)
if(NOT WW_CHANGELOG_TOP MATCHES "^wardwatch \\(([^)]+)-([^-)]+)\\) ")
  message(FATAL_ERROR "packaging/changelog: the first line must be `wardwatch (VERSION-REVISION) ...`")
endif()
set(WW_DEB_REVISION ${CMAKE_MATCH_2})
if(NOT CMAKE_MATCH_1 STREQUAL PROJECT_VERSION)
  message(WARNING "packaging/changelog's top entry is ${CMAKE_MATCH_1}-${CMAKE_MATCH_2} but the project is "
                  "${PROJECT_VERSION}: add a changelog entry (dch) before building the package")
endif()

# --- package files ---------------------------------------------------------------------------------
install(FILES ${WW_PKG_DIR}/wardwatch.bash-completion DESTINATION share/bash-completion/completions
        RENAME wardwatch)
install(FILES ${WW_PKG_DIR}/copyright ${WW_PKG_OUT}/changelog.Debian.gz ${PROJECT_SOURCE_DIR}/README.md
        DESTINATION share/doc/wardwatch)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION share/doc/wardwatch/docs
        PATTERN "*.scd" EXCLUDE)

install(FILES ${WW_PKG_DIR}/wardwatch.service DESTINATION /lib/systemd/system COMPONENT deb EXCLUDE_FROM_ALL)
install(FILES ${WW_PKG_DIR}/wardwatch.conf DESTINATION /etc/wardwatch COMPONENT deb EXCLUDE_FROM_ALL)
install(FILES ${WW_PKG_DIR}/wardwatch.default DESTINATION /etc/default RENAME wardwatch
        COMPONENT deb EXCLUDE_FROM_ALL)

# --- CPack ---------------------------------------------------------------------------------------------
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_NAME wardwatch)
set(CPACK_PACKAGE_VENDOR "wardwatch maintainers")
set(CPACK_PACKAGE_CONTACT "wardwatch maintainers <maintainers@users.noreply.h-seed-148dbdea.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "passive network and asset discovery for hospital networks")
set(CPACK_PACKAGE_DESCRIPTION  # lines under 80 columns (Debian policy 3.4.1)
    "wardwatch listens on a switch SPAN/mirror port, or reads pcap/pcapng\n"
    "files, and builds an inventory of every device it sees: MAC and IP\n"
    "addresses, vendor, services, VLANs, and the facts each device announced\n"
    "about itself (DHCP, DICOM, HL7, LLDP/CDP, SNMP, ...), with the evidence\n"
    "for each. Fingerprint rules classify medical and IT devices. It never\n"
    "sends a packet and never stores patient data.\n"
    ".\n"
    "The package includes a hardened systemd service that captures as the\n"
    "wardwatch user with only CAP_NET_RAW and CAP_NET_ADMIN, configured in\n"
    "/etc/wardwatch/wardwatch.conf.")
string(REPLACE ";" "" CPACK_PACKAGE_DESCRIPTION "${CPACK_PACKAGE_DESCRIPTION}")
set(CPACK_STRIP_FILES ON)

# One package from both components.
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
set(CPACK_COMPONENTS_ALL Unspecified deb)

set(CPACK_DEBIAN_PACKAGE_NAME wardwatch)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE ${WW_DEB_REVISION})
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Libraries from dpkg-shlibdeps; data read at run time (IEEE OUI registries, IANA enterprise numbers, p0f
# signatures); adduser for postinst.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, ieee-data, libwireshark-data, p0f")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${WW_PKG_DIR}/postinst ${WW_PKG_DIR}/prerm ${WW_PKG_DIR}/postrm ${WW_PKG_DIR}/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
