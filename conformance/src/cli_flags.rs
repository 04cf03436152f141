//! The command-line flags of the workspace's tool binaries (`compare`,
//! `soak`):
//! `--flag value` and `--flag=value` alike, read one at a time so each
//! binary keeps its own `match` of what the flags mean.

/// The flags left on a command line.
///
/// ```
/// use taskchain_conformance::cli_flags::Flags;
///
/// let mut flags = Flags::new(["--seed=7", "--backend", "tokio"].map(String::from));
/// assert_eq!(flags.next_flag().as_deref(), Some("--seed"));
/// assert_eq!(flags.value("--seed").as_deref(), Ok("7"));
/// assert_eq!(flags.next_flag().as_deref(), Some("--backend"));
/// assert_eq!(flags.value("--backend").as_deref(), Ok("tokio"));
/// assert_eq!(flags.next_flag(), None);
/// ```
#[derive(Debug)]
pub struct Flags<I> {
    args: I,
    /// The `=value` part of the flag just read, if it had one.
    inline: Option<String>,
}

impl<I: Iterator<Item = String>> Flags<I> {
    /// The flags of `args` (the arguments after the program name).
    pub fn new(args: impl IntoIterator<IntoIter = I>) -> Self {
        Flags {
            args: args.into_iter(),
            inline: None,
        }
    }

    /// The next flag (or stray argument), without its `=value`.
    pub fn next_flag(&mut self) -> Option<String> {
        let arg = self.args.next()?;
        self.inline = None;
        match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                self.inline = Some(value.to_owned());
                Some(flag.to_owned())
            }
            _ => Some(arg),
        }
    }

    /// The value of `flag`, the one just read: its `=value`, or else the
    /// next argument. An `Err` is the message to print.
    pub fn value(&mut self, flag: &str) -> Result<String, String> {
        self.inline
            .take()
            .or_else(|| self.args.next())
            .ok_or_else(|| format!("{flag} needs a value"))
    }
}
