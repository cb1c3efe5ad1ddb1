//! The real binary in a tmux pane, driven like a person: send keys, read the screen.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub struct Tmux {
    socket: String,
}

impl Tmux {
    pub fn start(cmd: &str, state_dir: &Path) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let socket = format!("kdrift-e2e-{}-{n}", std::process::id());
        let status = Command::new("tmux")
            .args([
                "-L",
                &socket,
                "new-session",
                "-d",
                "-x",
                "120",
                "-y",
                "40",
                "-s",
                "e2e",
            ])
            .arg(format!(
                "XDG_STATE_HOME={} {cmd}; echo KDRIFT_EXIT=$?; sleep 60",
                state_dir.display()
            ))
            .status()
            .expect("tmux must be installed to run the end-to-end test");
        assert!(status.success(), "tmux new-session failed");
        Self { socket }
    }

    /// The process named `name` the pane runs (a child of the pane's shell), if it runs.
    pub fn process(&self, name: &str) -> Option<u32> {
        let out = Command::new("tmux")
            .args([
                "-L",
                &self.socket,
                "display",
                "-p",
                "-t",
                "e2e",
                "#{pane_pid}",
            ])
            .output()
            .ok()?;
        let shell = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let children =
            std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children")).ok()?;
        children.split_whitespace().find_map(|pid| {
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
            (comm.trim() == name).then(|| pid.parse().ok())?
        })
    }

    /// Whether the first window rang its bell while another window was current (tmux's
    /// `window_bell_flag`): `away` opens that other window first.
    pub fn away(&self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "new-window", "-t", "e2e", "sleep 60"])
            .status();
    }

    pub fn rang(&self) -> bool {
        Command::new("tmux")
            .args([
                "-L",
                &self.socket,
                "list-windows",
                "-t",
                "e2e",
                "-F",
                "#{window_index} #{window_bell_flag}",
            ])
            .output()
            .map(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .lines()
                    .any(|l| l == "0 1")
            })
            .unwrap_or(false)
    }

    pub fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p", "-t", "e2e"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The screen with the escape sequences tmux keeps for it (`capture-pane -e`): what the
    /// program actually asked the terminal to do (colours), and anything else that got through.
    pub fn screen_escaped(&self) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p", "-e", "-t", "e2e"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The pane's title, which an OSC 0/2 sequence written to the terminal would set.
    pub fn pane_title(&self) -> String {
        let out = Command::new("tmux")
            .args([
                "-L",
                &self.socket,
                "display-message",
                "-p",
                "-t",
                "e2e",
                "#{pane_title}",
            ])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    pub fn keys(&self, keys: &str) {
        let status = Command::new("tmux")
            .args(["-L", &self.socket, "send-keys", "-t", "e2e", keys])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits until every needle is on screen; returns that screen.
    pub fn wait_for(&self, needles: &[&str], limit: Duration) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if needles.iter().all(|n| screen.contains(n)) {
                return screen;
            }
            assert!(
                start.elapsed() < limit,
                "waited {limit:?} for {needles:?}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}
