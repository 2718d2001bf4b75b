# Builds and installs the trendcast C library: the shared and static libraries, the C header and
# the C++17 wrapper, a pkg-config file and a CMake package.
#
#   make                                  cargo build --release -p trendcast --lib (the serving crate only)
#   make install PREFIX=/usr/local        installs (building first only if the library is missing)
#   make install-strip PREFIX=...         the same, with debug sections stripped (~1/4 the size)
#   make uninstall PREFIX=...
#
# ONNX Runtime beside the library: make install ORT_LIB=/path/to/libonnxruntime.so.1.31.1 copies it
# into $(LIBDIR), where libtrendcast.so looks after TRENDCAST_ORT_LIB (an installed library never
# looks in the tree that built it).
#
# Variables: ORT_LIB (none), PREFIX (/usr/local), DESTDIR (staging root), LIBDIR ($(PREFIX)/lib), INCLUDEDIR
# ($(PREFIX)/include), CARGO (cargo), CARGO_TARGET_DIR (target), RELEASE_DIR (where the built
# libraries are: $(CARGO_TARGET_DIR)/release).
#
# Installed:
#   $(LIBDIR)/libtrendcast.so  $(LIBDIR)/libtrendcast.a
#   $(INCLUDEDIR)/trendcast.h  $(INCLUDEDIR)/trendcast.hpp
#   $(LIBDIR)/pkgconfig/trendcast.pc           pkg-config --cflags --libs trendcast
#   $(LIBDIR)/pkgconfig/trendcast-static.pc    pkg-config --cflags --libs trendcast-static
#   $(LIBDIR)/cmake/trendcast/trendcastConfig.cmake (+ ConfigVersion): find_package(trendcast),
#     targets trendcast::trendcast (shared) and trendcast::trendcast_static

PREFIX ?= /usr/local
DESTDIR ?=
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
CARGO ?= cargo
ORT_LIB ?=
CARGO_TARGET_DIR ?= target
RELEASE_DIR ?= $(CARGO_TARGET_DIR)/release
INSTALL ?= install
STRIP ?= strip

VERSION := $(shell awk '/^\#define TRENDCAST_VERSION_(MAJOR|MINOR|PATCH) / { v = v s $$3; s = "." } END { print v }' include/trendcast.h)
VERSION_MAJOR := $(firstword $(subst ., ,$(VERSION)))
# What a Rust static library needs from the system, and a non-executable stack (some of tract's
# assembly objects lack a .note.GNU-stack section).
STATIC_LIBS := -lpthread -ldl -lm -lrt -Wl,-z,noexecstack
# Paths in the .pc files relative to ${prefix} where they lie under it; the CMake package finds
# the include directory relative to its own location.
PC_LIBDIR := $(patsubst $(PREFIX)/%,$${prefix}/%,$(LIBDIR))
PC_INCLUDEDIR := $(patsubst $(PREFIX)/%,$${prefix}/%,$(INCLUDEDIR))
REL_INCLUDEDIR = $(shell realpath -m --relative-to=$(LIBDIR) $(INCLUDEDIR))

LIBS := $(RELEASE_DIR)/libtrendcast.so $(RELEASE_DIR)/libtrendcast.a
SUBST = sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(PC_LIBDIR)|g' -e 's|@INCLUDEDIR@|$(PC_INCLUDEDIR)|g' \
	-e 's|@VERSION@|$(VERSION)|g' -e 's|@VERSION_MAJOR@|$(VERSION_MAJOR)|g' -e 's|@STATIC_LIBS@|$(STATIC_LIBS)|g' \
	-e 's|@REL_INCLUDEDIR@|$(REL_INCLUDEDIR)|g'

.PHONY: all build install install-strip uninstall

all: build

build:
	CARGO_TARGET_DIR=$(CARGO_TARGET_DIR) $(CARGO) build --release -p trendcast --lib

# Built only when missing: `make install` alone never rebuilds (run `make` first after a change).
$(LIBS):
	CARGO_TARGET_DIR=$(CARGO_TARGET_DIR) $(CARGO) build --release -p trendcast --lib

install: $(LIBS)
	@test -n "$(VERSION)" || { echo "cannot read the version from include/trendcast.h" >&2; exit 1; }
	$(INSTALL) -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(LIBDIR)/cmake/trendcast
	$(INSTALL) -m 755 $(RELEASE_DIR)/libtrendcast.so $(DESTDIR)$(LIBDIR)/libtrendcast.so
	$(INSTALL) -m 644 $(RELEASE_DIR)/libtrendcast.a $(DESTDIR)$(LIBDIR)/libtrendcast.a
	$(INSTALL) -m 644 include/trendcast.h bindings/cpp/trendcast.hpp $(DESTDIR)$(INCLUDEDIR)/
	$(if $(ORT_LIB),$(INSTALL) -m 755 $(ORT_LIB) $(DESTDIR)$(LIBDIR)/$(notdir $(ORT_LIB)))
	$(SUBST) packaging/trendcast.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/trendcast.pc
	$(SUBST) packaging/trendcast-static.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/trendcast-static.pc
	$(SUBST) packaging/trendcastConfig.cmake.in > $(DESTDIR)$(LIBDIR)/cmake/trendcast/trendcastConfig.cmake
	$(SUBST) packaging/trendcastConfigVersion.cmake.in > $(DESTDIR)$(LIBDIR)/cmake/trendcast/trendcastConfigVersion.cmake

install-strip: install
	$(STRIP) --strip-debug $(DESTDIR)$(LIBDIR)/libtrendcast.so $(DESTDIR)$(LIBDIR)/libtrendcast.a

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libtrendcast.so $(DESTDIR)$(LIBDIR)/libtrendcast.a \
		$(if $(ORT_LIB),$(DESTDIR)$(LIBDIR)/$(notdir $(ORT_LIB))) \
		$(DESTDIR)$(INCLUDEDIR)/trendcast.h $(DESTDIR)$(INCLUDEDIR)/trendcast.hpp \
		$(DESTDIR)$(LIBDIR)/pkgconfig/trendcast.pc $(DESTDIR)$(LIBDIR)/pkgconfig/trendcast-static.pc \
		$(DESTDIR)$(LIBDIR)/cmake/trendcast/trendcastConfig.cmake \
		$(DESTDIR)$(LIBDIR)/cmake/trendcast/trendcastConfigVersion.cmake
	-rmdir $(DESTDIR)$(LIBDIR)/cmake/trendcast 2>/dev/null
