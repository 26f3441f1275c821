# DiffRay: two commands do all set-up on a fresh Debian 12 machine with Swift 6.3.
#   make demo   installs what is missing, builds in release, renders the default scene into renders/
#   make test   installs what is missing, runs the whole suite (release build), the package
#               checks and every script of bench/ and tools/ in a quick mode
SWIFT   ?= swift
APT_PKGS = libpng-dev libopenexr-dev libjpeg62-turbo-dev zlib1g-dev pkg-config libopenmpi-dev openmpi-bin libembree-dev
DIFFRAY  = .build/release/diffray

.PHONY: deps build demo test test-package test-scripts docs bench clean

deps:
	@missing=""; for p in $(APT_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build -c release --product diffray

demo: build
	@mkdir -p renders
	$(DIFFRAY) render scenes/cornell-box.xml --spp 256 -o renders/cornell-box.png

test: deps
	$(SWIFT) build -c release --build-tests
	$(SWIFT) test -c release --skip-build
	$(MAKE) test-package
	$(MAKE) test-scripts

# The README's promise: a separate package that depends on DiffRay, by path
# (examples/gradient-hello) and by version (a tagged copy), compiles and prints 32.0.
test-package:
	@cd examples/gradient-hello && out=$$($(SWIFT) run -q 2>&1 | tail -n 1) && echo "examples/gradient-hello printed: $$out" && [ "$$out" = "32.0" ]
	tools/check-package-by-version.sh

# Every script of bench/ and tools/ in a quick mode (needs the release binary).
test-scripts: build
	tools/test-scripts.sh

# DocC documentation of every library module, into .build/docs/MODULE.
docs:
	mkdir -p .build/docs
	for m in DiffRay Autodiff ImageIO Geometry SceneFile Render Learning Control Pixels; do \
	  $(SWIFT) package --allow-writing-to-directory .build/docs generate-documentation --target $$m \
	    --disable-indexing --output-path .build/docs/$$m || exit 1; \
	done

bench: build
	$(DIFFRAY) bench ad

clean:
	rm -rf .build

# Fuzzing (libFuzzer + AddressSanitizer): builds one binary per Fuzz/Targets/*.swift into
# .build-fuzz/ and runs each for FUZZ_SECONDS on its seed corpus in Fuzz/Corpus/NAME
# (new inputs go to .build-fuzz/corpus/NAME; crashes to .build-fuzz/crashes/). See docs/reliability.md.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=

.PHONY: fuzz fuzz-build
fuzz-build:
	Fuzz/build.sh $(FUZZ_TARGETS)

fuzz: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) Fuzz/run.sh $(FUZZ_TARGETS)
