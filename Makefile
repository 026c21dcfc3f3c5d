# vigil — build and test. `make test` is what CI runs (.ci/run).
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(HOME)/go/bin:$(PATH)
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null)
MODIFIED ?= $(if $(shell git status --porcelain 2>/dev/null),true,false)
# The revision is stamped as well as left to -buildvcs=true: Go does not see
# a linked git worktree as a repository (see internal/buildinfo).
BUILDINFO := github.com/vigilsec/vigil/internal/buildinfo
LDFLAGS := -X $(BUILDINFO).version=$(VERSION) -X $(BUILDINFO).revision=$(REVISION) -X $(BUILDINFO).modified=$(MODIFIED)
FUZZTIME ?= 3s
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: build dist test lint unit fuzz lab-deps lab-up lab-down bench docs

build:
	$(GO) build -buildvcs=true -ldflags "$(LDFLAGS)" -o bin/vigil ./cmd/vigil

## dist: static binaries for linux/amd64 and linux/arm64 and a Debian package
## for each (binary, man pages, bash/zsh/fish completions) in dist/, with
## SHA256SUMS. Needs git, dpkg-deb and Go. ARCHES=amd64 builds one;
## MAINTAINER='Name <address>' sets the packages' Maintainer field.
ARCHES ?= amd64 arm64
dist:
	rm -rf dist
	$(GO) run ./internal/dist -o dist -version "$(VERSION)" $(if $(MAINTAINER),-maintainer "$(MAINTAINER)") $(ARCHES)

## test: formatting, vet, staticcheck, unit and lab tests, short fuzz runs.
test: lint lab-up unit fuzz

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '^vendor/')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

unit:
	$(GO) test -count=1 -timeout 20m ./...

fuzz:
	scripts/fuzz.sh $(FUZZTIME)

## lab-deps installs the Debian packages the lab and benchmarks need (root).
lab-deps:
	@if [ "$$(id -u)" = 0 ]; then lab/install-deps.sh; \
	 elif [ "$${CI:-}" = true ]; then echo "lab-deps: CI must run as root to install the lab" >&2; exit 1; \
	 else echo "lab-deps: not root, so the lab is not installed and lab tests will be skipped" >&2; fi

lab-up: lab-deps
	@if [ "$$(id -u)" = 0 ]; then lab/lab.sh up; fi

lab-down:
	lab/lab.sh down

## bench: vigil against nmap, sslscan, testssl.sh and ssh-audit (root;
## quiet machine); each script writes its section of docs/benchmarks.md.
bench: build lab-up
	bench/portscan.sh
	bench/tls.sh
	bench/ssh.sh

## docs regenerates the generated parts of docs/.
docs:
	$(GO) run ./cmd/vigil checks --format markdown > docs/checks.md
