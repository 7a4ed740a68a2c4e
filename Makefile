# The two commands users need are `make run` and `make test` (see README.md).
GO ?= go
# Count-based: duration-based -fuzztime can end in a spurious
# "context deadline exceeded" (golang/go#75804).
FUZZTIME ?= 3000x

.PHONY: run test test-deps vet fuzz-short build

build:
	CGO_ENABLED=0 $(GO) build -o wormstore ./cmd/wormstore

run:
	$(GO) run ./cmd/wormstore server --dev --data ./data

vet:
	test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...

# test: client tools for the end-to-end tests, vet, the whole suite
# (crash-point, fault-injection, model seeds, rebuild equality, real S3
# clients), then a short coverage-guided run of each fuzz target.
test: test-deps vet
	$(GO) test -count=1 -timeout 20m ./...
	$(MAKE) fuzz-short

# test-deps installs the external S3 clients the end-to-end tests drive:
# Debian's aws CLI (when root and apt-get exist) and @aws-sdk/client-s3
# from npm (when node exists), for the console's browser test Debian's
# chromium and playwright-core, and for the remote-tier tests versitygw
# (an Object-Lock S3 server) into $(go env GOPATH)/bin, where the tests
# look for it (~90 s to build). Tests skip a missing client unless
# WORMSTORE_E2E_REQUIRED=1 (set by .ci/run).
VERSITYGW_VERSION ?= v1.8.0
test-deps:
	@if ! command -v versitygw >/dev/null && [ ! -x "$$($(GO) env GOPATH)/bin/versitygw" ]; then \
		echo "== installing versitygw $(VERSITYGW_VERSION) (remote-tier tests)"; \
		$(GO) install github.com/versity/versitygw/cmd/versitygw@$(VERSITYGW_VERSION); \
	fi
	@if [ ! -x /usr/bin/aws ] && command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
		echo "== installing Debian awscli"; \
		apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq awscli >/dev/null; \
	fi
	@if command -v npm >/dev/null && [ ! -d cmd/wormstore/testdata/node/node_modules/@aws-sdk/client-s3 ]; then \
		echo "== installing @aws-sdk/client-s3"; \
		(cd cmd/wormstore/testdata/node && npm install --no-audit --no-fund --loglevel=error); \
	fi
	@if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
		echo "== installing Debian chromium (console browser tests)"; \
		apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
	fi
	@if command -v npm >/dev/null && [ ! -d console/e2e/node_modules/playwright-core ]; then \
		echo "== installing playwright-core (console browser tests)"; \
		(cd console/e2e && npm install --no-audit --no-fund --loglevel=error); \
	fi

fuzz-short:
	@for t in $$($(GO) test -list '^Fuzz' ./fuzz/ | grep '^Fuzz'); do \
		echo "== fuzz $$t ($(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) ./fuzz/ || exit 1; \
	done
