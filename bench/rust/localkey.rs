// SPDX-License-Identifier: MIT
// Cost of reading an initialised thread_local! whose type has a destructor
// (bench/weft/localkey.c), and of a const-initialised one without.

mod bench;

use std::cell::Cell;
use std::hint::black_box;

/// A value with Drop, so the key registers a destructor, as weft's does.
struct Kept(Cell<i64>);

impl Drop for Kept {
    fn drop(&mut self) {
        black_box(self.0.get());
    }
}

thread_local! {
    static LOCAL_VALUE: Kept = Kept(Cell::new(black_box(1)));
    static RAW_VALUE: Cell<i64> = const { Cell::new(1) };
}

fn main() {
    assert_eq!(LOCAL_VALUE.with(|v| v.0.get()), 1); // initialise: the lazy path, once
    let raw = bench::median_ns_per_op(
        |reads| {
            for _ in 0..reads {
                black_box(RAW_VALUE.with(|v| v.get()));
            }
        },
        bench::scaled(100_000_000),
    );
    bench::result("tls_raw", raw, "ns");
    let local = bench::median_ns_per_op(
        |reads| {
            for _ in 0..reads {
                black_box(LOCAL_VALUE.with(|v| v.0.get()));
            }
        },
        bench::scaled(100_000_000),
    );
    bench::result("localkey", local, "ns");
}
