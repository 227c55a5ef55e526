// SPDX-License-Identifier: MIT
// Cost of std::thread::spawn + join of a closure that does nothing (bench/glibc/spawn_join.c).

mod bench;

use std::hint::black_box;
use std::thread;

fn main() {
    let ns = bench::median_ns_per_op(
        |threads| {
            for _ in 0..threads {
                thread::spawn(|| black_box(0u8)).join().expect("spawn_join: the thread panicked");
            }
        },
        bench::scaled(2000),
    );
    bench::result("spawn_join", ns, "ns");
}
