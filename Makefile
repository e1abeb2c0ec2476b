# hexcover — the two commands are `make run` and `make test`; see README.md.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
GO ?= go
BIN := bin/hexcover
FUZZTIME ?= 10s
# The database `make run` uses; tests make their own per run (internal/dbtest).
RUN_DB ?= hexcover

.PHONY: all build web run test test-go vet fmt-check lint fuzz bench bench-scale loadtest db clean

all: build

## build: the map bundle, then the binary with the bundle embedded
build: web
	$(GO) build -o $(BIN) ./cmd/hexcover

web/node_modules/.stamp: web/package.json web/package-lock.json
	scripts/deps.sh build
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $@

WEB_SRC := $(wildcard web/src/*) web/build.mjs
web/dist/index.html: web/node_modules/.stamp $(WEB_SRC)
	cd web && npm run --silent build

## web: build the MapLibre bundle into web/dist (embedded by go build)
web: web/dist/index.html

## db: bring up PostgreSQL + PostGIS (installs them on Debian when missing)
db:
	scripts/db.sh $(RUN_DB)

## run: set everything up, load the demo city when the database is empty, serve on :8080
run: build
	@url="$$(scripts/db.sh $(RUN_DB))"; \
	export DATABASE_URL="$${DATABASE_URL:-$$url}"; \
	$(BIN) migrate && \
	$(BIN) demo --if-empty && \
	HEXCOVER_DEMO_LOGIN=$${HEXCOVER_DEMO_LOGIN:-on} exec $(BIN) serve

## test: set up PostgreSQL/PostGIS, Node and chromium, then run every test
test: web
	scripts/db.sh postgres >/dev/null
	scripts/deps.sh test
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory fuzz FUZZTIME=$(FUZZTIME)
	$(MAKE) --no-print-directory test-go

# The browser test runs on its own after the rest: under the parallel Go tests
# the 2-core machine starves chromium.
test-go:
	$(GO) test -count=1 -timeout 15m -skip '^TestDemoServeEndToEnd$$' ./...
	$(GO) test -count=1 -timeout 10m -run '^TestDemoServeEndToEnd$$' ./cmd/hexcover

vet:
	$(GO) vet ./...

fmt-check:
	@out="$$(gofmt -l cmd internal geo web migrations)"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

## lint: vet, gofmt and staticcheck
lint: vet fmt-check
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

## fuzz: run every fuzz target for FUZZTIME each (default 10s). A failing
## input is saved under testdata/fuzz and fails the run; an engine failure
## that saves none (Go's fuzzer sometimes ends on "context deadline exceeded"
## when -fuzztime runs out) is printed and run again, twice at most.
fuzz:
	@for pkg in $$($(GO) list ./...); do \
		dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
		for t in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/func //'); do \
			echo "fuzz $$pkg $$t ($(FUZZTIME))"; \
			log=$$(mktemp); \
			if ! $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg >$$log 2>&1; then \
				cat $$log; rm -f $$log; \
				if [ -n "$$(ls $$dir/testdata/fuzz/$$t 2>/dev/null | grep -v -x -F -f <(git -C $$dir ls-files testdata/fuzz/$$t | xargs -rn1 basename))" ]; then \
					echo "fuzz $$t found a failing input, saved under $$dir/testdata/fuzz/$$t"; exit 1; \
				fi; \
				echo "fuzz $$t: the fuzz engine failed without saving a failing input (Go's fuzzer can end on 'context deadline exceeded' at -fuzztime); running it again"; \
				$(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg || $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
			fi; \
			rm -f $$log; \
		done; \
	done

## bench: Go benchmarks (H3 floor, aggregation, import, tiles, siting, assignment, the release's build time and utility)
bench: web
	scripts/db.sh postgres >/dev/null
	scripts/bench.sh

## bench-scale: the district-day (35,000 riders, a ping every 30 s: ~36M pings) and a month sample imported and measured against
## in-run references (scripts/bench-scale.sh; ~7 min on an idle 2-core machine, bounded by SCALE_STEP_TIMEOUT)
bench-scale: web
	scripts/db.sh postgres >/dev/null
	scripts/bench-scale.sh

clean:
	rm -rf bin web/dist/*.js web/dist/*.css web/dist/*.html web/dist/*.map

## loadtest: drive a server on loopback with a bounded mix (LOADTEST_DURATION, default 60s)
loadtest: build
	scripts/loadtest.sh
