//! The backends compiled into this build, by name, behind one call.

use std::sync::Arc;

use taskchain_core::{ChainSettings, Error, TaskManager, ThreadedChain};

/// A runtime a threaded chain can run on. Which ones a build has depends
/// on the `taskchain` features: `threadpool` (default), `tokio`, `smol`,
/// `async-std`; they are additive.
///
/// ```
/// use taskchain::{AsyncFuture, Backend, ChainSettings, TaskChainExt, TaskManager};
///
/// let manager = TaskManager::new();
/// for backend in Backend::enabled() {
///     let name = format!("workers-{}", backend.name());
///     let chain = backend
///         .make_chain(&manager, &name, ChainSettings::default().num_threads(2))
///         .unwrap();
///     assert_eq!(chain.spawn(async { 6 * 7 }).wait(), Ok(42));
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Backend {
    /// taskchain's own thread pool (`taskchain-threadpool`, feature
    /// `threadpool`, the default).
    Threadpool,
    /// A tokio multi-thread runtime (`taskchain-tokio`, feature `tokio`).
    Tokio,
    /// async-executor + async-io (`taskchain-smol`, feature `smol`).
    Smol,
    /// async-std's global runtime (`taskchain-smol`'s `async-std` feature,
    /// feature `async-std`; deprecated upstream).
    AsyncStd,
}

impl Backend {
    /// Every backend, compiled in or not.
    pub const ALL: [Backend; 4] = [
        Backend::Threadpool,
        Backend::Tokio,
        Backend::Smol,
        Backend::AsyncStd,
    ];

    /// The backends this build has, in [`ALL`](Self::ALL) order.
    pub fn enabled() -> Vec<Backend> {
        Self::ALL.into_iter().filter(|b| b.is_enabled()).collect()
    }

    /// Its name: "threadpool", "tokio", "smol" or "async-std".
    pub fn name(self) -> &'static str {
        match self {
            Backend::Threadpool => "threadpool",
            Backend::Tokio => "tokio",
            Backend::Smol => "smol",
            Backend::AsyncStd => "async-std",
        }
    }

    /// The backend called `name`.
    ///
    /// Returns [`Error::InvalidSetting`] for a name that is none of
    /// [`ALL`](Self::ALL)'s.
    pub fn from_name(name: &str) -> Result<Backend, Error> {
        Self::ALL
            .into_iter()
            .find(|b| b.name() == name)
            .ok_or_else(|| {
                let known: Vec<&str> = Self::ALL.iter().map(|b| b.name()).collect();
                Error::InvalidSetting(format!(
                    "no backend named {name:?}; known: {}",
                    known.join(", ")
                ))
            })
    }

    /// Whether this build has it (its feature is on).
    pub fn is_enabled(self) -> bool {
        match self {
            Backend::Threadpool => cfg!(feature = "threadpool"),
            Backend::Tokio => cfg!(feature = "tokio"),
            Backend::Smol => cfg!(feature = "smol"),
            Backend::AsyncStd => cfg!(feature = "async-std"),
        }
    }

    /// Makes a threaded chain named `name` on a new runtime of this
    /// backend with `settings.num_threads` threads, and adds it to
    /// `manager`.
    ///
    /// Returns [`Error::InvalidSetting`] if the backend is not compiled in
    /// (the message names the feature to enable) or `num_threads` is 0,
    /// and [`Error::DuplicateChain`] if the name is taken.
    pub fn make_chain(
        self,
        manager: &TaskManager,
        name: &str,
        settings: ChainSettings,
    ) -> Result<Arc<ThreadedChain>, Error> {
        let _ = (manager, name, &settings);
        match self {
            #[cfg(feature = "threadpool")]
            Backend::Threadpool => taskchain_threadpool::make_chain(manager, name, settings),
            #[cfg(feature = "tokio")]
            Backend::Tokio => taskchain_tokio::make_chain(manager, name, settings),
            #[cfg(feature = "smol")]
            Backend::Smol => taskchain_smol::make_chain(manager, name, settings),
            #[cfg(feature = "async-std")]
            Backend::AsyncStd => taskchain_smol::make_async_std_chain(manager, name, settings),
            #[allow(unreachable_patterns)]
            other => Err(Error::InvalidSetting(format!(
                "the {} backend is not compiled in: enable taskchain's {0:?} feature",
                other.name()
            ))),
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Parses a backend's [`name`](Backend::name), as
/// [`from_name`](Backend::from_name) does.
///
/// ```
/// use taskchain::Backend;
///
/// assert_eq!("tokio".parse::<Backend>(), Ok(Backend::Tokio));
/// assert!("gevent".parse::<Backend>().is_err());
/// ```
impl std::str::FromStr for Backend {
    type Err = Error;

    fn from_str(name: &str) -> Result<Backend, Error> {
        Backend::from_name(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for backend in Backend::ALL {
            assert_eq!(Backend::from_name(backend.name()), Ok(backend));
            assert_eq!(backend.to_string(), backend.name());
        }
        assert!(matches!(
            Backend::from_name("nope"),
            Err(Error::InvalidSetting(m)) if m.contains("threadpool, tokio, smol, async-std")
        ));
    }

    #[test]
    fn enabled_backends_make_chains_and_others_say_which_feature() {
        let manager = TaskManager::new();
        for backend in Backend::ALL {
            let made = backend.make_chain(
                &manager,
                backend.name(),
                ChainSettings::default().num_threads(1),
            );
            if backend.is_enabled() {
                assert!(made.is_ok(), "{backend}: {made:?}");
            } else {
                assert!(matches!(
                    made,
                    Err(Error::InvalidSetting(m)) if m.contains("feature")
                ));
            }
        }
    }
}
