#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Model-checks weft/sync.h's mutex, condvar, rwlock and once with spin, through check-parker.sh's runner.
#
# Usage: bash tests/model/check-sync.sh [-v] [--big]
#
# Each model has correct configurations that must give "errors: 0" and BROKEN variants
# that must give the error they were written to show: the models would catch the bug.
# Sizes are kept so that the whole run takes well under a minute.
#
# --big runs, instead, the configuration too big for make check (make model-check-big):
# the rwlock with 2 readers and 2 writers, about 79 million states, searched exhaustively
# with compressed states; about 4.1 GB of memory and 1.5 minutes on the 2-vCPU Xeon of
# bench/README.md (Documentation/sync.rst, "Models").

here=$(cd "$(dirname "$0")" && pwd)
verbose=()
[ "${1:-}" = "-v" ] && verbose=(-v) && shift
if [ "${1:-}" = "--big" ]; then
	MODEL_CC_FLAGS="-DCOLLAPSE" MODEL_PAN_FLAGS="-m1000000 -w27" \
		exec bash "$here/check-parker.sh" "${verbose[@]}" sync-model-big \
		"rwlock-2-readers-2-writers|-DNREADERS=2 -DNWRITERS=2|pass|rwlock.pml"
fi

# name | spin -D flags | expected | model
exec bash "$here/check-parker.sh" "${verbose[@]}" sync-model \
	"mutex-3-threads|-DNTHREADS=3|pass|mutex.pml" \
	"mutex-2-threads-2-rounds|-DNTHREADS=2 -DROUNDS=2|pass|mutex.pml" \
	"mutex-broken-relock-with-1|-DNTHREADS=3 -DBROKEN=1|invalid end state|mutex.pml" \
	"mutex-broken-no-cas|-DNTHREADS=2 -DBROKEN=2|assertion violated|mutex.pml" \
	"mutex-broken-notify-overwrites-2|-DNTHREADS=2 -DBROKEN=3|invalid end state|mutex.pml" \
	"condvar-2-waiters|-DNWAITERS=2|pass|condvar.pml" \
	"condvar-3-waiters|-DNWAITERS=3 -DSPURIOUS=0 -DTIMEOUTS=1|pass|condvar.pml" \
	"condvar-broken-register-late|-DBROKEN=1|invalid end state|condvar.pml" \
	"condvar-broken-no-seq|-DBROKEN=2|invalid end state|condvar.pml" \
	"condvar-broken-deferred-wake-forgotten|-DBROKEN=3|invalid end state|condvar.pml" \
	"rwlock-2-readers-1-writer|-DNREADERS=2 -DNWRITERS=1|pass|rwlock.pml" \
	"rwlock-1-reader-2-writers|-DNREADERS=1 -DNWRITERS=2|pass|rwlock.pml" \
	"rwlock-broken-post-release-fallback|-DNREADERS=1 -DNWRITERS=2 -DBROKEN=1|assertion violated|rwlock.pml" \
	"rwlock-broken-post-release-fallback-freed|-DNREADERS=1 -DNWRITERS=2 -DBROKEN=1 -DPOST_CHECK=0|assertion violated|rwlock.pml" \
	"rwlock-broken-give-up-strands-readers|-DNREADERS=2 -DNWRITERS=1 -DBROKEN=3|invalid end state|rwlock.pml" \
	"rwlock-broken-give-up-strands-hand-off|-DNREADERS=1 -DNWRITERS=2 -DBROKEN=3|invalid end state|rwlock.pml" \
	"rwlock-broken-count-in-its-own-word|-DNREADERS=2 -DNWRITERS=1 -DBROKEN=5|invalid end state|rwlock.pml" \
	"rwlock-writer-not-starved|-DLIVENESS=1|pass|rwlock.pml" \
	"rwlock-broken-reader-preferring|-DLIVENESS=1 -DBROKEN=4|acceptance cycle|rwlock.pml" \
	"rwlock-woken-writer-enters|-DLIVENESS=2|pass|rwlock.pml" \
	"rwlock-broken-clear-then-wake|-DLIVENESS=2 -DBROKEN=2|acceptance cycle|rwlock.pml" \
	"once-3-threads|-DNTHREADS=3|pass|once.pml" \
	"once-4-threads-no-panic|-DNTHREADS=4 -DPANICS=0|pass|once.pml" \
	"once-broken-no-wake|-DNTHREADS=2 -DBROKEN=1|invalid end state|once.pml"
