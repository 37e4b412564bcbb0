/* Facts about this build, generated at build time (cmake/build_info.cmake): the commit it was built
   from ("unknown" outside a git tree; "+dirty" when the tree had uncommitted changes), the build type
   and the compiler. */
#ifndef ROBOLUA_BUILD_INFO_H
#define ROBOLUA_BUILD_INFO_H
extern const char rl_build_commit[];
extern const char rl_build_type[];
extern const char rl_build_compiler[];
#endif
