# Tlaloc: plain make, C11, warnings are errors.
#   make                 build build/tlaloc
#   make check           unit, system and cluster tests (tests/run)
#   make SANITIZE=address,undefined check   the same under ASan+UBSan
#   make fuzz            build the libFuzzer targets with clang
#   make lint            check-deps, check-headers, banned functions
#   make install PREFIX=/usr/local DESTDIR=

CC	?= cc
PREFIX	?= /usr/local
BUILD	?= build
PKGS	:= lua5.4 libpcre2-8 libsodium libuv yaml-0.1

WARN	:= -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	   -Wmissing-prototypes -Wformat=2 -Wimplicit-fallthrough \
	   -Wpointer-arith -Wsign-compare -Wno-format-nonliteral
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   := $(shell pkg-config --libs $(PKGS))
CFLAGS	?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -D_DEFAULT_SOURCE $(WARN) $(CFLAGS) \
	     $(PKG_CFLAGS) -Isrc -MMD -MP
LDLIBS	= $(PKG_LIBS) -lm

# Link lua, pcre2, sodium, libuv and libyaml from their static archives
# when Debian's -dev packages ship all five (STATIC_DEPS=0: every library
# shared; the deb and sanitizer builds are). Each shared library costs
# every run its mapping and relocation in the dynamic loader: 3.2 of the
# 11.2 ms of CPU an empty `tlaloc apply` took (bench/apply/README.md).
STATIC_DEPS ?= 1
ifeq ($(STATIC_DEPS)$(SANITIZE),1)
DEP_LIBDIR := $(shell pkg-config --variable=libdir libsodium)
DEP_ARS    := $(wildcard $(addprefix $(DEP_LIBDIR)/,liblua5.4.a \
	      libpcre2-8.a libsodium.a libuv_a.a libyaml.a))
ifeq ($(words $(DEP_ARS)),5)
LDLIBS	= $(DEP_ARS) -lm -ldl -lpthread
endif
endif

ifdef SANITIZE
override BUILD := $(BUILD)-san
CFLAGS	:= -O1 -g -fsanitize=$(SANITIZE) -fno-sanitize-recover=all \
	   -fno-omit-frame-pointer
LDFLAGS	+= -fsanitize=$(SANITIZE)
endif

LIB_SRCS  := $(sort $(wildcard src/*/*.c))
LIB_SRCS  := $(filter-out src/cli/main.c,$(LIB_SRCS))
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/%.o)
# Service definitions, bootstrap templates and the dashboard page,
# carried in the binary.
DIST_TEXT := $(sort $(wildcard dist/*.in dist/bootstrap/*.in)) dist/dashboard.html
LIB_OBJS  += $(BUILD)/gen/dist_text.o
UNIT_SRCS := $(sort $(wildcard tests/unit/*.c))
UNIT_OBJS := $(UNIT_SRCS:%.c=$(BUILD)/%.o)
SIM_SRCS  := $(sort $(wildcard sim/*.c))
SIM_OBJS  := $(SIM_SRCS:%.c=$(BUILD)/%.o)
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
# tlaloc-rogue: the security tests' packet-crafting member (tests/tools).
ROGUE_SRCS := $(sort $(wildcard tests/tools/rogue*.c))
ROGUE_OBJS := $(ROGUE_SRCS:%.c=$(BUILD)/%.o)

all: $(BUILD)/tlaloc $(BUILD)/unit-tests $(if $(SIM_SRCS),$(BUILD)/tlaloc-sim) \
	$(if $(ROGUE_SRCS),$(BUILD)/tlaloc-rogue)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/gen/dist_text.c: $(DIST_TEXT) scripts/embed-text
	@mkdir -p $(dir $@)
	@scripts/embed-text $(DIST_TEXT) > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/dist_text.o: $(BUILD)/gen/dist_text.c
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/libtlaloc.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/tlaloc: $(BUILD)/src/cli/main.o $(BUILD)/libtlaloc.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/unit-tests: $(UNIT_OBJS) $(BUILD)/libtlaloc.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tlaloc-sim: $(SIM_OBJS) $(BUILD)/libtlaloc.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tlaloc-rogue: $(ROGUE_OBJS) $(BUILD)/libtlaloc.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

check: all
	TLALOC_BUILD=$(BUILD) tests/run

# libFuzzer targets: each tests/fuzz/fuzz_X.c links against the library
# built with clang and the fuzzer sanitizers.
FUZZ_BUILD := build-fuzz
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer-no-link,address,undefined
fuzz:
	$(MAKE) BUILD=$(FUZZ_BUILD) CC=clang CFLAGS="$(FUZZ_FLAGS)" \
	    $(FUZZ_BUILD)/libtlaloc.a
	@for f in $(FUZZ_SRCS); do \
	    n=$$(basename $$f .c); \
	    echo "clang $$f -> $(FUZZ_BUILD)/$$n"; \
	    clang -std=c11 -D_GNU_SOURCE $(PKG_CFLAGS) -Isrc -g -O1 \
	        -fsanitize=fuzzer,address,undefined $$f \
	        $(FUZZ_BUILD)/libtlaloc.a $(PKG_LIBS) -lm \
	        -o $(FUZZ_BUILD)/$$n || exit 1; \
	done

lint: check-deps check-headers check-banned

# Every folder's allowed includes, no circle between modules, a pure
# cluster/ (scripts/check-deps has the table).
check-deps:
	@scripts/check-deps

check-headers:
	@for h in $(wildcard src/*/*.h); do \
	    echo "#include \"$${h#src/}\"" | $(CC) $(ALL_CFLAGS) -x c -fsyntax-only - || exit 1; \
	done; echo "check-headers: ok"

check-banned:
	@if grep -nE '\b(strcpy|strcat|sprintf|vsprintf|strtok|gmtime|localtime|asctime|gets)\(' \
	    src/*/*.c sim/*.c 2>/dev/null; then echo "banned functions used"; exit 1; fi; \
	echo "check-banned: ok"

# KNF (.clang-format) on the lines changed since FORMAT_BASE only: code
# nobody touched is never rewritten.
FORMAT_BASE ?= HEAD
format:
	git clang-format --force --binary clang-format --extensions c,h \
	    $(FORMAT_BASE) \
	    -- src tests sim

# Installed paths; the service definitions are filled in with them.
SYSCONFDIR	?= /etc
LOCALSTATEDIR	?= /var
SYSTEMDUNITDIR	?= $(PREFIX)/lib/systemd/system
INITDIR		?= $(SYSCONFDIR)/init.d
DIST_SUBST = sed -e 's|@BIN@|$(PREFIX)/bin/tlaloc|g' \
	    -e 's|@ETC@|$(SYSCONFDIR)/tlaloc|g' \
	    -e 's|@STATE@|$(LOCALSTATEDIR)/lib/tlaloc|g'

install: $(BUILD)/tlaloc
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	    $(DESTDIR)$(PREFIX)/share/tlaloc/examples \
	    $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(INITDIR) \
	    $(DESTDIR)$(SYSCONFDIR)/tlaloc
	install -m 0755 $(BUILD)/tlaloc $(DESTDIR)$(PREFIX)/bin/tlaloc
	install -m 0644 docs/tlaloc.1 $(DESTDIR)$(PREFIX)/share/man/man1/tlaloc.1
	$(DIST_SUBST) dist/tlaloc.service.in > $(DESTDIR)$(SYSTEMDUNITDIR)/tlaloc.service
	$(DIST_SUBST) dist/tlaloc.init.in > $(DESTDIR)$(INITDIR)/tlaloc
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/tlaloc.service
	chmod 0755 $(DESTDIR)$(INITDIR)/tlaloc
	cp -R examples/. $(DESTDIR)$(PREFIX)/share/tlaloc/examples/

# A Debian package built with dpkg-deb (scripts/mkdeb): hardened build
# flags, its own build dir, /usr + /etc/tlaloc + /var/lib/tlaloc.
DEB_BUILD := $(BUILD)-deb
deb:
	export DEB_BUILD_MAINT_OPTIONS=hardening=+all; $(MAKE) BUILD=$(DEB_BUILD) \
	    CFLAGS="$$(dpkg-buildflags --get CFLAGS) $$(dpkg-buildflags --get CPPFLAGS)" \
	    LDFLAGS="$$(dpkg-buildflags --get LDFLAGS)" STATIC_DEPS=0 \
	    $(DEB_BUILD)/tlaloc
	rm -rf $(DEB_BUILD)/root
	$(MAKE) BUILD=$(DEB_BUILD) DESTDIR=$(CURDIR)/$(DEB_BUILD)/root \
	    PREFIX=/usr SYSTEMDUNITDIR=/lib/systemd/system install
	scripts/mkdeb $(DEB_BUILD)/root $(DEB_BUILD)

clean:
	rm -rf build build-san build-fuzz build-deb

.PHONY: all check fuzz lint check-deps check-headers check-banned format \
	install deb clean

-include $(LIB_OBJS:.o=.d) $(UNIT_OBJS:.o=.d) $(SIM_OBJS:.o=.d) $(ROGUE_OBJS:.o=.d)
