//! A normal request allocates exactly as often through the annotated app and
//! through `HealthCheckLayer` as through the bare app: the healthcheck adds no
//! allocation to the traffic it passes through.

// A global allocator can only be written with `unsafe`; this one forwards to `System`.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use kamal_healthcheck_perf::{VARIANTS, drive_variant};

/// Counts every allocation of the process (this test binary runs one test, on
/// one thread, so nothing else allocates while it counts).
struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations per request: the difference between 200 and 100 requests, so that
/// building the app and the runtime cancels out.
fn allocations_per_request(variant: &str, kind: &str) -> f64 {
    let count = |requests| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let before = ALLOCATIONS.load(Ordering::SeqCst);
        let status = runtime.block_on(drive_variant(variant, kind, requests));
        let allocated = ALLOCATIONS.load(Ordering::SeqCst) - before;
        assert!(
            status.is_success() || variant == "bare",
            "{variant} {kind}: {status}"
        );
        allocated
    };
    // A first run takes the one-time allocations (lazy statics, thread
    // locals, the allocator's own) that would otherwise land in either count;
    // the counter is the process's, so an allocation of the test harness's
    // own can still land in one: the least of three differences is the
    // requests' alone.
    count(1_000);
    (0..3).map(|_| count(200) - count(100)).min().unwrap() as f64 / 100.0
}

#[test]
fn normal_requests_allocate_as_in_the_bare_app() {
    let per_request: Vec<(&str, f64)> = VARIANTS
        .iter()
        .map(|&variant| (variant, allocations_per_request(variant, "normal")))
        .collect();
    println!("allocations per normal request: {per_request:?}");
    let bare = per_request[0].1;
    assert!(
        bare > 0.0,
        "the bare app allocates; a count of 0 means nothing was counted"
    );
    for (variant, allocations) in &per_request {
        if ["attribute", "layer", "checks"].contains(variant) {
            assert_eq!(
                *allocations, bare,
                "{variant} allocates more than the bare app"
            );
        }
    }
    println!(
        "allocations per healthcheck answer: attribute {}, layer {}, handwritten {}",
        allocations_per_request("attribute", "healthcheck"),
        allocations_per_request("layer", "healthcheck"),
        allocations_per_request("handwritten", "healthcheck"),
    );
}
