# peoplesync: build, run locally, test.
# `make local` and `make test` install what they need on first use.

SHELL := /bin/bash
GO ?= go
PYTHON ?= python3
VENV := .venv
MOTO := $(VENV)/bin/moto_server
FUNCTIONS := $(notdir $(wildcard functions/*))
LAMBDA_FLAGS := -tags lambda.norpc -trimpath -ldflags "-s -w -buildid="

.PHONY: all tools local test lint-template fuzz token build clean build-ApiFunction build-SchedulerFunction build-WorkerFunction build-MailerFunction build-PlatformFunction bench

all: build

# Python tools (moto for the local AWS stack) live in a git-ignored venv;
# Debian's chromium (for the console's browser tests) comes from apt.
CHROMIUM := /usr/bin/chromium
SAM_VENV := .venv-sam
SAM := $(SAM_VENV)/bin/sam
RIE := .tools/aws-lambda-rie
tools: $(MOTO) $(SAM) $(RIE) node_modules/.bin/aws-ses-v2-local $(CHROMIUM)

$(MOTO): tools/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tools/requirements.txt
	touch $@

# aws-sam-cli (sam validate --lint, sam build) pins boto3 and click
# differently from moto, so it has a git-ignored venv of its own. Its
# aws-sam-translator also turns template.yaml into the CloudFormation the
# local stack is created from (internal/dev/devstack).
$(SAM): tools/requirements-sam.txt
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --disable-pip-version-check -r tools/requirements-sam.txt
	touch $@

# The Lambda Runtime Interface Emulator, pinned by go.mod's tool directive,
# runs the built bootstrap binaries in internal/dev/deploy's tests (no Docker).
$(RIE): go.mod go.sum
	$(GO) build -o $@ github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie

# npm tools (the SES emulator) live in the git-ignored node_modules, pinned by
# package-lock.json. The touch makes the target newer than the lock whatever
# file times npm gives what it installs, so make does not reinstall.
node_modules/.bin/aws-ses-v2-local: package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# Debian's chromium runs the admin console's browser tests (headless), with
# fonts for the CJK names and emoji of the sample employees in screenshots.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-wqy-microhei fonts-noto-color-emoji

# Runs the whole service on this machine: emulators, PeopleHR sandbox, demo
# tenant, one import. Ctrl-C stops everything it started.
# TICK is how often the in-process scheduler looks for due imports.
TICK ?= 10s
local: tools
	$(GO) build -o bin/local ./cmd/local
	TICK=$(TICK) bin/local

# Every test: unit, adapters against moto, end-to-end runs through the sandbox.
test: tools
	@unformatted="$$(gofmt -l $$(git ls-files '*.go'))"; \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
	$(MAKE) --no-print-directory lint-template
	$(GO) test -count=1 -timeout 15m ./...
	tools/fuzz.sh $(FUZZTIME_CI)

# The template as SAM and CloudFormation read it: no error, no warning.
# Both work offline; SAM_CLI_TELEMETRY=0 keeps sam from phoning home.
lint-template: $(SAM) $(MOTO)
	SAM_CLI_TELEMETRY=0 $(SAM) validate --lint --template template.yaml --region eu-west-2
	$(VENV)/bin/cfn-lint -- template.yaml

# Fuzz tests in CI run briefly; make fuzz runs each for FUZZTIME. Counts,
# not durations: Go 1.26's fuzz coordinator can fail a target with a bare
# "context deadline exceeded" when a -fuzztime duration ends while a worker
# is mid-call (go.dev/issue/75804, fixed in Go 1.27); a count has no
# deadline to race. 20,000 runs take 2-5 s per target on 2 cores.
FUZZTIME_CI ?= 20000x
FUZZTIME ?= 500000x
fuzz:
	tools/fuzz.sh $(FUZZTIME)

# linux/arm64 bootstrap per function, as Lambda's provided.al2023 runs it.
build: $(addprefix bin/,$(addsuffix /bootstrap,$(FUNCTIONS)))

bin/%/bootstrap: FORCE
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build $(LAMBDA_FLAGS) -o $@ ./functions/$*

# sam build (BuildMethod: makefile) calls build-<LogicalId> with ARTIFACTS_DIR.
build-ApiFunction build-SchedulerFunction build-WorkerFunction build-MailerFunction build-PlatformFunction: build-%Function:
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./functions/$(shell echo $* | tr A-Z a-z)

clean:
	rm -rf bin .aws-sam

.PHONY: FORCE
FORCE:

# A signed admin token for the local stack: make token TENANT=demo EMAIL=admin@northwind.example
token:
	@$(GO) run ./cmd/token -tenant "$(TENANT)" -email "$(EMAIL)"

# How close an import comes to the least work it could do (BENCHMARKS.md);
# not part of make test. The engine's Go benchmarks first (benchstat input in
# bin/bench-engine.txt), then cmd/bench on the local stack: the table goes to
# the terminal and to bin/bench.md. About 8 minutes on 2 cores.
bench: $(MOTO) $(SAM) $(RIE) node_modules/.bin/aws-ses-v2-local
	@mkdir -p bin
	set -o pipefail; $(GO) test -run '^$$' -bench Decode -count 3 -timeout 10m ./internal/dev/bench | tee bin/bench-engine.txt
	$(GO) run ./cmd/bench -engine bin/bench-engine.txt -out bin/bench.md
