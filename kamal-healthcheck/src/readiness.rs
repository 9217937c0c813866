//! Readiness: named checks run before answering "ready", concurrently, each within
//! a deadline, at most one run at a time and its result reused for a moment; and a
//! start-up gate that keeps the answer at "starting" until the app opens it.
//!
//! The healthcheck path bypasses the app's host checks, authentication and rate
//! limits by design, so a probe must not be able to make the app hammer its own
//! database: probes that arrive while the checks run wait for that run, and a
//! finished run's outcome answers every probe for `cache_for`.

use std::borrow::Cow;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;

use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use crate::log::RunLog;
use crate::outcome::{Failed, Failure, Outcome, lock, panic_message};

use crate::config::{BoxFuture, Check, Config};

/// The configuration and the state of its runs, shared by every clone of the
/// service that answers the healthcheck.
pub(crate) struct Readiness {
    config: Config,
    state: Mutex<State>,
    log: RunLog,
    /// Why the settings cannot work (a deadline that does not end before
    /// kamal-proxy's timeout), if they cannot: decided once, here, and
    /// refused where the layer is applied.
    problem: Option<String>,
}

#[derive(Default)]
struct State {
    /// The last finished run's outcome, and when it finished.
    last: Option<(Instant, Arc<Outcome>)>,
    /// The run in flight, which every probe arriving now waits for.
    running: Option<Arc<Run>>,
}

/// How a probe is answered.
pub(crate) enum Begin {
    /// The gate is closed.
    Starting,
    /// There are no checks to run (only a gate, which is open).
    Ready,
    /// A recent run's outcome.
    Done(Arc<Outcome>),
    /// After the run in flight.
    Wait(Waiting),
}

impl Readiness {
    pub(crate) fn new(config: Config) -> Self {
        Self {
            problem: config.deadline_problem(),
            config,
            state: Mutex::new(State::default()),
            log: RunLog::default(),
        }
    }

    /// Why the settings cannot work, if they cannot.
    pub(crate) fn problem(&self) -> Option<&str> {
        self.problem.as_deref()
    }

    pub(crate) fn config(&self) -> &Config {
        &self.config
    }

    pub(crate) fn begin(self: &Arc<Self>) -> Begin {
        if let Some(gate) = &self.config.gate {
            if !gate.is_open() {
                gate.turn_away(&self.config.path);
                return Begin::Starting;
            }
        }
        if self.config.checks.is_empty() {
            return Begin::Ready;
        }
        let mut state = self.state();
        if let Some((finished, outcome)) = &state.last {
            if finished.elapsed() < self.config.cache_for {
                return Begin::Done(Arc::clone(outcome));
            }
        }
        // A run makes progress only while a probe waits for it. One that every
        // probe has left (its clients hung up) is resumed by the next probe,
        // with a fresh deadline, as long as it was left alone for less than a
        // deadline; after that its checks' work is stale and it is dropped.
        let run = match &state.running {
            Some(run) if run.join(&self.config) => Arc::clone(run),
            _ => {
                let run = Arc::new(Run::start(&self.config));
                state.running = Some(Arc::clone(&run));
                run
            }
        };
        Begin::Wait(Waiting {
            readiness: Arc::clone(self),
            run,
        })
    }

    /// Records a run's outcome; called once per run, by the probe that ends it.
    fn finish(&self, run: &Arc<Run>, outcome: &Arc<Outcome>) {
        let mut state = self.state();
        state.last = Some((Instant::now(), Arc::clone(outcome)));
        if state
            .running
            .as_ref()
            .is_some_and(|running| Arc::ptr_eq(running, run))
        {
            state.running = None;
        }
        drop(state);
        self.finished(outcome);
    }

    /// Writes what a run found, in the log.
    fn finished(&self, _outcome: &Outcome) {
        self.log.finished(
            &crate::log::Checks {
                path: self.config.path.as_str(),
                names: self.config.check_names().collect(),
                deadline: self.config.deadline,
            },
            _outcome,
        );
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// Why the healthcheck does not answer `200`, as far as is known: the
    /// start-up gate still closed, the settings that cannot work, or the
    /// checks that failed in the last run, each with its error.
    pub(crate) fn not_ready(&self) -> Option<String> {
        if self
            .config
            .gate
            .as_ref()
            .is_some_and(|gate| !gate.is_open())
        {
            return Some(
                "the start-up gate is still closed: the app has not called `StartupGate::open()`"
                    .to_owned(),
            );
        }
        let last = Arc::clone(&self.state().last.as_ref()?.1);
        let failed = crate::outcome::report(&last, self.config.deadline, true)?;
        Some(format!(
            "readiness checks fail: {}",
            failed.trim_end().replace('\n', "; ")
        ))
    }
}

/// Who drives a run: the probes waiting for it, and when the last one left.
struct Attendance {
    probes: usize,
    /// When the last waiting probe left an unfinished run (its client hung up).
    left_at: Option<Instant>,
}

/// One run of all the checks, shared by the probes that wait for it. Whichever
/// probe is polled drives it; all of them are woken when it makes progress.
struct Run {
    checks: Mutex<Option<RunChecks>>,
    attendance: Mutex<Attendance>,
    outcome: OnceLock<Arc<Outcome>>,
    waiters: Arc<Waiters>,
}

impl Run {
    fn start(config: &Config) -> Self {
        Self {
            checks: Mutex::new(Some(RunChecks::start(config))),
            // The probe that starts a run waits for it.
            attendance: Mutex::new(Attendance {
                probes: 1,
                left_at: None,
            }),
            outcome: OnceLock::new(),
            waiters: Arc::new(Waiters::default()),
        }
    }

    /// Adds a probe to the run; `false` if the run must be dropped instead.
    ///
    /// A run left alone makes no progress, but its deadline runs on: a probe
    /// that resumed it with that deadline would report checks as timed out
    /// that nobody drove. So the probe that resumes it restarts the deadline,
    /// and a check is reported timed out only after being driven for a whole
    /// deadline. A run left alone for a deadline or more is dropped: its
    /// checks' work (a reply read long after it was asked for) is stale.
    fn join(&self, config: &Config) -> bool {
        let mut attendance = lock(&self.attendance);
        if attendance.probes == 0 {
            match attendance.left_at {
                Some(left) if left.elapsed() >= config.deadline => return false,
                Some(_) => {
                    if let Some(checks) = lock(&self.checks).as_mut() {
                        checks.restart_deadline();
                    }
                    attendance.left_at = None;
                }
                None => {}
            }
        }
        attendance.probes += 1;
        true
    }

    /// A waiting probe is gone (answered, or its client hung up).
    fn leave(&self) {
        let mut attendance = lock(&self.attendance);
        attendance.probes -= 1;
        if attendance.probes == 0 && self.outcome.get().is_none() {
            attendance.left_at = Some(Instant::now());
        }
    }
}

/// The wakers of the probes waiting for a run; waking it wakes them all.
#[derive(Default)]
struct Waiters(Mutex<Vec<Waker>>);

impl Waiters {
    fn register(&self, waker: &Waker) {
        let mut wakers = lock(&self.0);
        if !wakers.iter().any(|known| known.will_wake(waker)) {
            wakers.push(waker.clone());
        }
    }
}

impl Wake for Waiters {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let wakers = std::mem::take(&mut *lock(&self.0));
        for waker in wakers {
            waker.wake();
        }
    }
}

/// A probe waiting for a run's outcome.
pub(crate) struct Waiting {
    readiness: Arc<Readiness>,
    run: Arc<Run>,
}

impl Waiting {
    /// The configuration the run belongs to, for reporting its outcome.
    pub(crate) fn readiness(&self) -> &Readiness {
        &self.readiness
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        self.run.leave();
    }
}

impl Future for Waiting {
    type Output = Arc<Outcome>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Arc<Outcome>> {
        let run = &self.run;
        if let Some(outcome) = run.outcome.get() {
            return Poll::Ready(Arc::clone(outcome));
        }
        run.waiters.register(cx.waker());
        // Another probe polling the run right now wakes this one when it is done.
        let Ok(mut guard) = run.checks.try_lock() else {
            return Poll::Pending;
        };
        let Some(checks) = guard.as_mut() else {
            // Finished between the first look and the lock.
            return match run.outcome.get() {
                Some(outcome) => Poll::Ready(Arc::clone(outcome)),
                None => Poll::Pending,
            };
        };
        let waker = Waker::from(Arc::clone(&run.waiters));
        match Pin::new(checks).poll(&mut Context::from_waker(&waker)) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(outcome) => {
                let outcome = Arc::new(outcome);
                *guard = None;
                drop(guard);
                let outcome = Arc::clone(run.outcome.get_or_init(|| outcome));
                self.readiness.finish(run, &outcome);
                run.waiters.wake_by_ref();
                Poll::Ready(outcome)
            }
        }
    }
}

/// The checks of one run, polled together until all are done or the deadline
/// passes. A check that panics, when started or when polled, fails as panicked.
struct RunChecks {
    pending: Vec<(usize, BoxFuture<Result<(), String>>)>,
    checks: Vec<Arc<Check>>,
    /// Each check's failure and when it came, by the check's index: the report
    /// lists them in the order the checks were added.
    failures: Vec<Option<(Failure, Duration)>>,
    started: Instant,
    /// The deadline's timer panicked (tokio's, on a runtime without its time
    /// driver): no check runs without a deadline.
    timer_panicked: bool,
    /// tokio's sleep; `None` only when it panicked.
    deadline: Option<Pin<Box<tokio::time::Sleep>>>,
    deadline_length: Duration,
}

impl RunChecks {
    fn start(config: &Config) -> Self {
        let mut run = Self {
            pending: Vec::with_capacity(config.checks.len()),
            checks: config.checks.clone(),
            failures: config.checks.iter().map(|_| None).collect(),
            started: Instant::now(),
            timer_panicked: false,
            deadline: None,
            deadline_length: config.deadline,
        };
        if !run.arm_deadline() {
            run.timer_panicked = true;
            return run;
        }
        for (i, check) in config.checks.iter().enumerate() {
            match catch_unwind(AssertUnwindSafe(|| (check.start)())) {
                Ok(future) => run.pending.push((i, future)),
                Err(payload) => {
                    run.failures[i] =
                        Some((Failure::Panicked(panic_message(payload)), Duration::ZERO));
                }
            }
        }
        run
    }

    /// The deadline from now on (a run resumed after every probe had left it).
    fn restart_deadline(&mut self) {
        // The timer worked when the run started; should it panic now, the
        // first deadline stands.
        let _ = self.arm_deadline();
    }

    /// Sets the deadline to end a deadline's length from now; `false` if the
    /// timer panicked, which leaves the deadline as it was.
    #[must_use]
    fn arm_deadline(&mut self) -> bool {
        let length = self.deadline_length;
        match catch_unwind(|| tokio::time::sleep(length)) {
            Ok(deadline) => {
                self.deadline = Some(Box::pin(deadline));
                true
            }
            Err(_) => false,
        }
    }

    fn outcome(&mut self) -> Outcome {
        let mut failures = Vec::new();
        for (index, (check, failure)) in self.checks.iter().zip(&mut self.failures).enumerate() {
            if let Some((failure, elapsed)) = failure.take() {
                failures.push(Failed {
                    check: Some(index),
                    name: check.name.clone(),
                    failure,
                    elapsed,
                });
            }
        }
        let elapsed = self.started.elapsed();
        if self.timer_panicked {
            failures.push(Failed {
                check: None,
                name: Cow::Borrowed("timer"),
                failure: Failure::Panicked(None),
                elapsed,
            });
        }
        Outcome { failures, elapsed }
    }
}

impl Future for RunChecks {
    type Output = Outcome;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Outcome> {
        let this = &mut *self;
        let mut i = 0;
        while i < this.pending.len() {
            let (check, future) = &mut this.pending[i];
            let polled = catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx)));
            let failure = match polled {
                Ok(Poll::Pending) => {
                    i += 1;
                    continue;
                }
                Ok(Poll::Ready(Ok(()))) => None,
                Ok(Poll::Ready(Err(error))) => Some(Failure::Failed(error)),
                Err(payload) => Some(Failure::Panicked(panic_message(payload))),
            };
            this.failures[*check] = failure.map(|failure| (failure, this.started.elapsed()));
            drop(this.pending.swap_remove(i));
        }
        if this.pending.is_empty() {
            return Poll::Ready(this.outcome());
        }
        let Some(deadline) = this.deadline.as_mut() else {
            return Poll::Pending;
        };
        match catch_unwind(AssertUnwindSafe(|| deadline.as_mut().poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(())) => {
                let elapsed = this.started.elapsed();
                for (check, _) in this.pending.drain(..) {
                    this.failures[check] = Some((Failure::TimedOut, elapsed));
                }
                Poll::Ready(this.outcome())
            }
            Err(_) => {
                this.pending.clear();
                this.timer_panicked = true;
                Poll::Ready(this.outcome())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    /// A check that ends, passing, once `done` is set; counts its runs.
    /// Deadlines are on tokio's clock, which the tests pause and advance.
    fn readiness(deadline: Duration) -> (Arc<Readiness>, Arc<AtomicBool>, Arc<AtomicUsize>) {
        let (done, runs) = (Arc::<AtomicBool>::default(), Arc::<AtomicUsize>::default());
        let mut config = Config {
            deadline,
            // A deployment whose timeout the deadline fits in.
            timeout: Some(deadline * 2),
            cache_for: Duration::ZERO,
            ..Config::default()
        };
        let (check_done, check_runs) = (Arc::clone(&done), Arc::clone(&runs));
        config.add_check("db".into(), move || {
            check_runs.fetch_add(1, Ordering::SeqCst);
            let done = Arc::clone(&check_done);
            std::future::poll_fn(move |_| match done.load(Ordering::SeqCst) {
                true => Poll::Ready(Ok::<(), String>(())),
                false => Poll::Pending,
            })
        });
        (Arc::new(Readiness::new(config)), done, runs)
    }

    fn wait(readiness: &Arc<Readiness>) -> Waiting {
        match readiness.begin() {
            Begin::Wait(waiting) => waiting,
            _ => panic!("a probe with checks and no recent outcome waits for a run"),
        }
    }

    fn poll(waiting: &mut Waiting) -> Poll<Arc<Outcome>> {
        Pin::new(waiting).poll(&mut Context::from_waker(Waker::noop()))
    }

    fn failures(readiness: &Readiness, outcome: &Outcome) -> String {
        crate::outcome::report(outcome, readiness.config().deadline, true).unwrap_or_default()
    }

    const MINUTE: Duration = Duration::from_secs(60);

    #[tokio::test(start_paused = true)]
    async fn a_run_left_by_its_probe_is_resumed_with_a_fresh_deadline() {
        let (readiness, done, runs) = readiness(MINUTE);
        let mut first = wait(&readiness);
        assert!(poll(&mut first).is_pending());
        drop(first); // the client hung up mid-run
        tokio::time::advance(MINUTE).await; // the run's deadline passes while nobody drives it

        let mut next = wait(&readiness);
        assert!(
            poll(&mut next).is_pending(),
            "not timed out: the resuming probe restarts the deadline"
        );
        done.store(true, Ordering::SeqCst);
        let Poll::Ready(outcome) = poll(&mut next) else {
            panic!("the check has ended");
        };
        assert_eq!(failures(&readiness, &outcome), "");
        assert_eq!(runs.load(Ordering::SeqCst), 1, "the same run, resumed");
    }

    #[tokio::test(start_paused = true)]
    async fn a_resumed_run_times_out_only_after_a_whole_deadline_driven() {
        let (readiness, _, _) = readiness(MINUTE);
        let mut first = wait(&readiness);
        assert!(poll(&mut first).is_pending());
        drop(first);
        let mut next = wait(&readiness);
        assert!(poll(&mut next).is_pending());
        tokio::time::advance(MINUTE - Duration::from_millis(1)).await;
        assert!(poll(&mut next).is_pending(), "not yet a whole deadline");
        tokio::time::advance(Duration::from_millis(1)).await;
        let Poll::Ready(outcome) = poll(&mut next) else {
            panic!("the deadline has passed");
        };
        assert_eq!(failures(&readiness, &outcome), "db: timed out after 60s\n");
    }

    #[tokio::test(start_paused = true)]
    async fn probes_that_join_a_driven_run_keep_its_deadline() {
        let (readiness, _, runs) = readiness(MINUTE);
        let mut first = wait(&readiness);
        let mut second = wait(&readiness);
        assert!(poll(&mut first).is_pending());
        drop(first);
        tokio::time::advance(MINUTE / 2).await;
        // `second` still waits: nothing was left alone, nothing restarts.
        let mut third = wait(&readiness);
        tokio::time::advance(MINUTE / 2).await;
        assert!(poll(&mut second).is_ready());
        assert!(poll(&mut third).is_ready());
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_run_left_alone_for_a_deadline_is_dropped_and_started_anew() {
        let (readiness, done, runs) = readiness(Duration::from_millis(20));
        let mut first = wait(&readiness);
        assert!(poll(&mut first).is_pending());
        drop(first);
        std::thread::sleep(Duration::from_millis(30));
        let mut next = wait(&readiness);
        assert_eq!(runs.load(Ordering::SeqCst), 2, "a new run");
        done.store(true, Ordering::SeqCst);
        assert!(poll(&mut next).is_ready());
    }
}
