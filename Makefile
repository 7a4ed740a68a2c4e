# The two commands users need are `make run` and `make test` (see README.md).
GO ?= go
# Count-based: duration-based -fuzztime can end in a spurious
# "context deadline exceeded" (golang/go#75804).
FUZZTIME ?= 3000x

.PHONY: run test vet fuzz-short build

build:
	CGO_ENABLED=0 $(GO) build -o wormstore ./cmd/wormstore

run:
	$(GO) run ./cmd/wormstore server --dev --data ./data

vet:
	test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...

# test: vet, the whole suite (crash-point, fault-injection, model seeds, rebuild
# equality), then a short coverage-guided run of each fuzz target.
test: vet
	$(GO) test -count=1 -timeout 20m ./...
	$(MAKE) fuzz-short

fuzz-short:
	@for t in $$($(GO) test -list '^Fuzz' ./fuzz/ | grep '^Fuzz'); do \
		echo "== fuzz $$t ($(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) ./fuzz/ || exit 1; \
	done
