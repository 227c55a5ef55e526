// SPDX-License-Identifier: MIT
// Spawn 10,000 threads that stay alive parked on a gate, then join them; time and RSS
// (bench/glibc/many_threads.c).

mod bench;

use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

const THREAD_COUNT: usize = 10000;

struct Gate {
    state: Mutex<(usize, bool)>, // (arrived, open)
    opened: Condvar,
    everyone_arrived: Condvar,
}

/// VmRSS in KiB, from /proc/self/status.
fn resident_kib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).expect("VmRSS");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn main() {
    let repetitions = bench::scaled(1) as usize;
    let mut milliseconds = vec![0.0; repetitions];
    let mut kib_per_thread = 0.0;

    for (repetition, slot) in milliseconds.iter_mut().enumerate() {
        let gate = Arc::new(Gate {
            state: Mutex::new((0, false)),
            opened: Condvar::new(),
            everyone_arrived: Condvar::new(),
        });
        let mut handles = Vec::with_capacity(THREAD_COUNT);
        let rss_before = if repetition == 0 { resident_kib() } else { 0.0 };
        let start = Instant::now();
        for _ in 0..THREAD_COUNT {
            let gate = gate.clone();
            let spawned = thread::Builder::new().spawn(move || {
                let mut state = gate.state.lock().unwrap();
                state.0 += 1;
                if state.0 == THREAD_COUNT {
                    gate.everyone_arrived.notify_one();
                }
                while !state.1 {
                    state = gate.opened.wait(state).unwrap();
                }
            });
            match spawned {
                Ok(handle) => handles.push(handle),
                Err(error) => panic!("spawn failed after {} threads: {}", handles.len(), error),
            }
        }
        {
            let mut state = gate.state.lock().unwrap();
            while state.0 < THREAD_COUNT {
                state = gate.everyone_arrived.wait(state).unwrap();
            }
        }
        let all_parked = start.elapsed();
        if repetition == 0 {
            // Let the last arrivals settle into their futex wait, outside the timed span.
            thread::sleep(Duration::from_millis(20));
            kib_per_thread = (resident_kib() - rss_before) / THREAD_COUNT as f64;
        }
        let resumed = Instant::now();
        gate.state.lock().unwrap().1 = true;
        gate.opened.notify_all();
        for handle in handles {
            handle.join().expect("many_threads: a thread panicked");
        }
        *slot = (all_parked + resumed.elapsed()).as_secs_f64() * 1e3;
    }
    bench::result("spawn10k", bench::median(&mut milliseconds), "ms");
    bench::result("rss_per_thread", kib_per_thread, "KiB");
}
