// SPDX-License-Identifier: MIT
// Round trip between two threads that park and unpark each other (bench/glibc/pingpong.c).

mod bench;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, Thread};

/// A token next to Rust's parker: park() may return spuriously, the token says why it did.
struct Side {
    token: AtomicBool,
}

fn park(side: &Side) {
    while !side.token.swap(false, Ordering::Acquire) {
        thread::park();
    }
}

fn unpark(side: &Side, thread: &Thread) {
    side.token.store(true, Ordering::Release);
    thread.unpark();
}

fn main() {
    let main_side = Arc::new(Side { token: AtomicBool::new(false) });
    let partner_side = Arc::new(Side { token: AtomicBool::new(false) });
    let stopping = Arc::new(AtomicBool::new(false));
    let main_thread = thread::current();
    let partner = {
        let (main_side, partner_side, stopping) =
            (main_side.clone(), partner_side.clone(), stopping.clone());
        thread::spawn(move || loop {
            park(&partner_side);
            if stopping.load(Ordering::Acquire) {
                return;
            }
            unpark(&main_side, &main_thread);
        })
    };
    let partner_thread = partner.thread().clone();
    let ns = bench::median_ns_per_op(
        |round_trips| {
            for _ in 0..round_trips {
                unpark(&partner_side, &partner_thread);
                park(&main_side);
            }
        },
        bench::scaled(5000),
    );
    stopping.store(true, Ordering::Release);
    unpark(&partner_side, &partner_thread);
    partner.join().expect("pingpong: the partner panicked");
    bench::result("pingpong", ns, "ns");
}
