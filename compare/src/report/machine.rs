//! The machine a run was on, for the report's label: a figure means
//! little without the CPU and core count it was measured on.

use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

/// What the report says about the machine and the moment of the run.
#[derive(Debug, Clone, PartialEq)]
pub struct Machine {
    /// The CPU model, from /proc/cpuinfo ("unknown" where there is none).
    pub cpu: String,
    /// Logical cores available to this process.
    pub cores: usize,
    /// The OS: distribution name and kernel where known, else the target
    /// OS and architecture.
    pub os: String,
    /// `rustc --version` of the rustc on PATH ("unknown" if it cannot
    /// run): the compiler that built this binary is not recorded in it.
    pub rustc: String,
    /// When the run finished, UTC, as "YYYY-MM-DD HH:MM UTC".
    pub date: String,
}

impl Machine {
    /// Reads the machine this process runs on. Never fails: what cannot
    /// be read is "unknown".
    pub fn detect() -> Machine {
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|info| cpu_model(&info))
            .unwrap_or_else(|| "unknown".to_string());
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let distribution = std::fs::read_to_string("/etc/os-release")
            .ok()
            .and_then(|release| pretty_name(&release));
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .ok()
            .map(|k| k.trim().to_string());
        let arch = std::env::consts::ARCH;
        let os = match (distribution, kernel) {
            (Some(d), Some(k)) => format!("{d}, {} {k}, {arch}", std::env::consts::OS),
            (Some(d), None) => format!("{d}, {arch}"),
            (None, Some(k)) => format!("{} {k}, {arch}", std::env::consts::OS),
            (None, None) => format!("{}, {arch}", std::env::consts::OS),
        };
        let rustc = Command::new("rustc")
            .arg("--version")
            .output()
            .ok()
            .filter(|out| out.status.success())
            .and_then(|out| String::from_utf8(out.stdout).ok())
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| "unknown".to_string());
        let seconds = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Machine {
            cpu,
            cores,
            os,
            rustc,
            date: utc_date(seconds),
        }
    }

    /// One line for a table's caption: "CPU, N cores, OS".
    pub fn label(&self) -> String {
        format!("{}, {} cores, {}", self.cpu, self.cores, self.os)
    }
}

/// The first "model name" of /proc/cpuinfo (x86), else its "Hardware" or
/// "CPU part" line (some ARM kernels name the CPU only there).
fn cpu_model(cpuinfo: &str) -> Option<String> {
    ["model name", "Hardware", "cpu model", "CPU part"]
        .iter()
        .find_map(|key| {
            cpuinfo.lines().find_map(|line| {
                let (k, v) = line.split_once(':')?;
                (k.trim() == *key && !v.trim().is_empty()).then(|| v.trim().to_string())
            })
        })
}

/// PRETTY_NAME of /etc/os-release, unquoted.
fn pretty_name(release: &str) -> Option<String> {
    release.lines().find_map(|line| {
        let value = line.strip_prefix("PRETTY_NAME=")?;
        Some(value.trim().trim_matches('"').to_string())
    })
}

/// Seconds since the Unix epoch as "YYYY-MM-DD HH:MM UTC" (the civil
/// date by Howard Hinnant's days-to-date algorithm, to need no date
/// crate for one line of the report).
pub fn utc_date(seconds: u64) -> String {
    let days = (seconds / 86_400) as i64;
    let minutes = (seconds % 86_400) / 60;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        minutes / 60,
        minutes % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_from_epoch_seconds() {
        assert_eq!(utc_date(0), "1970-01-01 00:00 UTC");
        // 2000-02-29 (a leap day of a century leap year), 13:45.
        assert_eq!(utc_date(951_831_900), "2000-02-29 13:45 UTC");
        assert_eq!(utc_date(1_767_225_599), "2025-12-31 23:59 UTC");
    }

    #[test]
    fn cpu_and_os_names_are_read_from_their_files() {
        let x86 = "processor\t: 0\nmodel name\t: AMD EPYC 7B13\nflags\t: fpu\n";
        assert_eq!(cpu_model(x86).as_deref(), Some("AMD EPYC 7B13"));
        let arm = "processor\t: 0\nCPU part\t: 0xd0c\n";
        assert_eq!(cpu_model(arm).as_deref(), Some("0xd0c"));
        assert_eq!(cpu_model("processor: 0\n"), None);
        let release = "NAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 13 (trixie)\"\n";
        assert_eq!(
            pretty_name(release).as_deref(),
            Some("Debian GNU/Linux 13 (trixie)")
        );
    }

    #[test]
    fn detection_never_fails() {
        let machine = Machine::detect();
        assert!(machine.cores >= 1);
        assert!(machine.date.ends_with("UTC"));
        assert!(machine.label().contains("cores"));
    }
}
