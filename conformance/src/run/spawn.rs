//! Setting the case up: its promises, and each spawned coroutine with
//! what it awaits, its probes and its leak guards.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use taskchain_core::{
    gather, pause, shield, AsyncFuture, Error, Promise, Task, TaskBuilder, TaskChainExt, TaskHandle,
};

use super::records::{
    task_name, PVal, PromiseProbe, PromiseRec, Snap, Target, TaskOut, TaskProbe, TaskRec,
};
use super::{violate, Case, PANIC_MARKER};
use crate::kit::drops::{DropCounter, DropToken};
use crate::program::{Await, SpawnSpec, MAX_PAUSE_MS};
use crate::scenarios::support::is_in_call;
use crate::ChainFactory;

/// The runtime objects a coroutine awaits.
enum Awaitable {
    Promise(Promise<PVal>),
    Task(TaskHandle<TaskOut>),
    Pause(u64),
    GatherP(Vec<Promise<PVal>>),
    GatherT(Vec<TaskHandle<TaskOut>>),
    ShieldP(Promise<PVal>),
    ShieldT(TaskHandle<TaskOut>),
    /// The pause of the inner task, and a guard for its coroutine.
    Unscheduled(u64, DropToken),
}

async fn coroutine(
    awaits: Awaitable,
    probe: Arc<TaskProbe>,
    panic_msg: Option<String>,
    live: DropCounter,
    guard: DropToken,
) -> TaskOut {
    let _guard = guard;
    let r = match awaits {
        Awaitable::Promise(p) => p.await.map(|x| x.v),
        Awaitable::Task(h) => h.await.and_then(|o| o.v).map(|v| v + 1),
        Awaitable::Pause(ms) => pause(Duration::from_millis(ms)).await.map(|()| ms),
        Awaitable::GatherP(ps) => gather(ps).await.map(|xs| xs.iter().map(|x| x.v).sum()),
        Awaitable::GatherT(hs) => gather(hs)
            .await
            .and_then(|outs| outs.into_iter().map(|o| o.v).sum()),
        Awaitable::ShieldP(p) => match shield(p.clone()).await {
            // Handles the cancellation: the shield left `p` running.
            Err(Error::Cancelled) => p.await.map(|x| x.v),
            r => r.map(|x| x.v),
        },
        Awaitable::ShieldT(h) => shield(h).await.and_then(|o| o.v).map(|v| v + 1),
        Awaitable::Unscheduled(ms, token) => TaskBuilder::coroutine(async move {
            let _token = token;
            pause(Duration::from_millis(ms)).await.map(|()| ms)
        })
        .await
        .and_then(|r| r)
        .map(|v| v + 1),
    };
    *probe.returned.lock().unwrap_or_else(|e| e.into_inner()) = Some(r.clone());
    if let Some(msg) = panic_msg {
        panic!("{msg}");
    }
    TaskOut {
        v: r,
        _token: live.token(),
    }
}

impl<F: ChainFactory> Case<'_, F> {
    /// Adds a done callback to `fut` that checks it runs on a later poll
    /// (never inline in `set_result`/`cancel`) and only once `fut` is done,
    /// then calls `count`; it holds a leak token while registered.
    fn watch_done<A>(&mut self, fut: &A, label: String, count: impl FnOnce() + Send + 'static)
    where
        A: AsyncFuture,
    {
        let (violations, token) = (self.violations.clone(), self.live.token());
        let what = label.clone();
        let added = fut.add_done_callback(move |f: &A| {
            let _token = &token;
            if is_in_call() {
                violate(&violations, format!("{what}: done callback ran inline"));
            }
            if !f.is_done() {
                violate(&violations, format!("{what}: done callback before done"));
            }
            count();
        });
        if let Err(e) = added {
            self.fail(format!("{label}: add_done_callback failed: {e:?}"));
        }
    }

    pub(super) fn new_promise(&mut self, i: usize) {
        let promise = self.fx().chain.promise::<PVal>();
        let probe = Arc::new(PromiseProbe::default());
        let pr = probe.clone();
        self.watch_done(&promise, format!("promise p{i}"), move || {
            pr.callbacks.fetch_add(1, Ordering::SeqCst);
        });
        self.promises.push(PromiseRec {
            promise,
            probe,
            seen: Snap::Pending,
            wins: Vec::new(),
        });
    }

    fn free_handles(&self) -> Vec<usize> {
        (0..self.tasks.len())
            .filter(|&t| self.tasks[t].handle.is_some())
            .collect()
    }

    /// Takes the handle of a free task chosen by `k`, if any is free.
    fn take_free(&mut self, k: u8) -> Option<(usize, TaskHandle<TaskOut>)> {
        let free = self.free_handles();
        if free.is_empty() {
            return None;
        }
        let t = free[usize::from(k) % free.len()];
        self.tasks[t].handle.take().map(|h| (t, h))
    }

    pub(super) fn spawn(&mut self, spec: &SpawnSpec) -> Result<(), String> {
        let np = self.promises.len();
        let pick = |p: u8| usize::from(p) % np;
        let fallback = |k: u8| u64::from(k % (MAX_PAUSE_MS + 1));
        let (target, awaits) = match &spec.awaits {
            &Await::Promise(p) => {
                let p = pick(p);
                let awaitable = Awaitable::Promise(self.promises[p].promise.clone());
                (Target::Promise(p), awaitable)
            }
            &Await::Task(k) => match self.take_free(k) {
                Some((t, h)) => (Target::Task(t), Awaitable::Task(h)),
                None => (Target::Pause(fallback(k)), Awaitable::Pause(fallback(k))),
            },
            &Await::Pause(ms) => (
                Target::Pause(u64::from(ms)),
                Awaitable::Pause(u64::from(ms)),
            ),
            Await::GatherPromises(ps) => {
                let ps: Vec<usize> = ps.iter().map(|&p| pick(p)).collect();
                let children = ps
                    .iter()
                    .map(|&p| self.promises[p].promise.clone())
                    .collect();
                (Target::GatherP(ps), Awaitable::GatherP(children))
            }
            Await::GatherTasks(ks) => {
                let (mut ts, mut hs) = (Vec::new(), Vec::new());
                for &k in ks {
                    if let Some((t, h)) = self.take_free(k) {
                        ts.push(t);
                        hs.push(h);
                    }
                }
                (Target::GatherT(ts), Awaitable::GatherT(hs))
            }
            &Await::ShieldPromise(p) => {
                let p = pick(p);
                let awaitable = Awaitable::ShieldP(self.promises[p].promise.clone());
                (Target::ShieldP(p), awaitable)
            }
            &Await::ShieldTask(k) => match self.take_free(k) {
                Some((t, h)) => (Target::ShieldT(t), Awaitable::ShieldT(h)),
                None => (Target::Pause(fallback(k)), Awaitable::Pause(fallback(k))),
            },
            &Await::Unscheduled(ms) => (
                Target::Unscheduled(u64::from(ms)),
                Awaitable::Unscheduled(u64::from(ms), self.live.token()),
            ),
        };
        let index = self.tasks.len();
        let probe = Arc::new(TaskProbe::default());
        let panic_msg = spec
            .panics
            .then(|| format!("{PANIC_MARKER} in task t{index}"));
        let body = coroutine(
            awaits,
            probe.clone(),
            panic_msg,
            self.live.clone(),
            self.live.token(),
        );
        let handle = if spec.fallible {
            // `?` on the await's error, after the body's own panic.
            let body = async move {
                let out = body.await;
                out.v.clone().map(|_| out)
            };
            self.add_spawned(TaskBuilder::fallible(body), spec, &probe)?
        } else {
            self.add_spawned(TaskBuilder::coroutine(body), spec, &probe)?
        };
        let pr = probe.clone();
        self.watch_done(&handle, format!("task t{index}"), move || {
            pr.callbacks.fetch_add(1, Ordering::SeqCst);
        });
        let name = spec.name.map(|n| n % 3);
        self.log(format!(
            "spawn t{index}{} sort {}{} awaits {target:?}{}{}",
            name.map(|n| format!(" '{}'", task_name(n)))
                .unwrap_or_default(),
            spec.sort,
            spec.delay_ms
                .map(|d| format!(" delay {d} ms"))
                .unwrap_or_default(),
            if spec.panics { ", then panics" } else { "" },
            if spec.fallible { ", fallible" } else { "" },
        ));
        self.tasks.push(TaskRec {
            any: handle.as_any(),
            handle: Some(handle),
            probe,
            target,
            name,
            panics: spec.panics,
            fallible: spec.fallible,
            aims: 0,
            seen: Snap::Pending,
        });
        Ok(())
    }

    /// Adds `builder` to the chain with `spec`'s sort, name and delay, and
    /// an `upon_death` that reports to `probe`.
    fn add_spawned<W>(
        &mut self,
        builder: TaskBuilder<W>,
        spec: &SpawnSpec,
        probe: &Arc<TaskProbe>,
    ) -> Result<TaskHandle<TaskOut>, String>
    where
        W: Task<Output = TaskOut> + Send,
    {
        let (pr, token) = (probe.clone(), self.live.token());
        let mut builder = builder.sort(i32::from(spec.sort)).upon_death(move |clean| {
            let _token = token;
            pr.clean.store(clean, Ordering::SeqCst);
            pr.deaths.fetch_add(1, Ordering::SeqCst);
        });
        if let Some(n) = spec.name {
            builder = builder.name(&task_name(n % 3));
        }
        if let Some(ms) = spec.delay_ms {
            builder = builder.delay(Duration::from_millis(u64::from(ms)));
        }
        self.fx()
            .chain
            .add_task(builder)
            .map_err(|e| format!("add_task failed: {e:?}"))
    }
}
