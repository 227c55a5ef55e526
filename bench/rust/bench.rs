// SPDX-License-Identifier: MIT
// The timing loop of bench/glibc/bench.h, in Rust: the same batches, median and RESULT line.

#![allow(dead_code)] // each program uses part of it

use std::time::Instant;

pub const BATCHES: usize = 5;

/// BENCH_SCALE, a positive float, default 1 (as bench/glibc/bench.h reads it).
pub fn scale() -> f64 {
    match std::env::var("BENCH_SCALE") {
        Ok(text) if !text.is_empty() => match text.parse::<f64>() {
            Ok(s) if s > 0.0 => s,
            _ => {
                println!("# ignoring BENCH_SCALE='{}': not a positive number", text);
                1.0
            }
        },
        _ => 1.0,
    }
}

pub fn scaled(count: u64) -> u64 {
    let s = (count as f64 * scale()) as u64;
    if s > 0 { s } else { 1 }
}

pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = values.len();
    if n % 2 == 1 { values[n / 2] } else { (values[n / 2 - 1] + values[n / 2]) / 2.0 }
}

/// One unmeasured batch of a tenth, then BATCHES measured ones: the median ns per op.
pub fn median_ns_per_op(mut run_batch: impl FnMut(u64), operations: u64) -> f64 {
    let mut ns = [0.0; BATCHES];

    run_batch(if operations >= 10 { operations / 10 } else { 1 });
    for slot in ns.iter_mut() {
        let start = Instant::now();
        run_batch(operations);
        *slot = start.elapsed().as_nanos() as f64 / operations as f64;
    }
    median(&mut ns)
}

pub fn result(metric: &str, value: f64, unit: &str) {
    println!("RESULT {}.rust {:.3} {}", metric, value, unit);
}
