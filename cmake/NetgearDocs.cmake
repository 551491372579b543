# API reference: `cmake --build build --target docs` runs Doxygen (Debian: doxygen) over the public
# headers into build/docs/html; any warning (an undocumented public name included) fails it.
find_package(Doxygen QUIET)
if(DOXYGEN_FOUND)
  set(NETGEAR_DOXYGEN_INPUT "${PROJECT_SOURCE_DIR}/include/netgear ${NETGEAR_GENERATED_INCLUDE_DIR}/netgear/version.hpp")
  set(NETGEAR_DOXYGEN_OUTPUT ${PROJECT_BINARY_DIR}/docs)
  configure_file(${PROJECT_SOURCE_DIR}/docs/Doxyfile.in ${PROJECT_BINARY_DIR}/Doxyfile @ONLY)
  add_custom_target(netgear_docs
    COMMAND ${DOXYGEN_EXECUTABLE} ${PROJECT_BINARY_DIR}/Doxyfile
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    COMMENT "Doxygen: API reference in ${PROJECT_BINARY_DIR}/docs/html"
    VERBATIM)
  if(NETGEAR_IS_TOP_LEVEL AND NOT TARGET docs)
    add_custom_target(docs)
    add_dependencies(docs netgear_docs)
  endif()
elseif(NETGEAR_IS_TOP_LEVEL)
  message(STATUS "netgear: doxygen not found, no `docs` target (Debian: apt-get install doxygen)")
endif()
