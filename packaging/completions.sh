#!/bin/sh
# Writes notimon's shell completions into completions/ (for the packages and the tarballs):
# notimon.bash, notimon.zsh, notimon.fish. With an argument, that binary writes them (CI
# uses the binary it packages); without, `go run ./cmd/notimon` (goreleaser's before hook).
set -eu
cd "$(dirname "$0")/.."
mkdir -p completions
for sh in bash zsh fish; do
	if [ $# -gt 0 ]; then
		"$1" completion "$sh" >"completions/notimon.$sh"
	else
		go run ./cmd/notimon completion "$sh" >"completions/notimon.$sh"
	fi
	test -s "completions/notimon.$sh"
done
