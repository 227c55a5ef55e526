#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds Documentation/ as `make htmldocs` does, with every Sphinx warning an error.
#
# Usage: tests/check-docs.sh [OUTDIR]   (default: a temporary directory, removed after)
#
# Documentation/sphinx/kerneldoc.py turns into warnings a public function with no
# kernel-doc comment, a `:doc:` DOC block that its file does not have, and a chapter
# that names a DOC comment its file does not have; -W makes them fail this check. One
# TAP line; a SKIP line that says what to install when sphinx-build is missing.

set -u

here=$(cd "$(dirname "$0")" && pwd)
echo "TAP version 13"
echo "1..1"
sphinx=${SPHINXBUILD:-sphinx-build}
if ! command -v "$sphinx" >/dev/null 2>&1; then
	echo "ok 1 htmldocs # SKIP $sphinx not installed (apt-get install -y python3-sphinx, or make deps)"
	exit 0
fi
if [ $# -gt 0 ]; then
	out=$1
else
	out=$(mktemp -d "${TMPDIR:-/tmp}/weft-docs.XXXXXX") || exit 1
	trap 'rm -rf "$out"' EXIT
fi
if "$sphinx" -W --keep-going -q -b html -d "$out/doctrees" "$here/../Documentation" \
	"$out/html" >"$out/sphinx.log" 2>&1; then
	echo "ok 1 htmldocs"
else
	sed 's/^/# /' "$out/sphinx.log"
	echo "not ok 1 htmldocs # sphinx-build -W failed"
	exit 1
fi
