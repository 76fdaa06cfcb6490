//! Helpers shared by the integration tests.
//!
//! Every child process a test starts goes through [`output`] (or [`Running`] when the
//! test must act while the child runs), so that none can hang the suite: a child still
//! running after [`CHILD_TIMEOUT`] is killed, with its whole process group, and the test
//! fails with the child's stderr.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

/// How long any child process a test starts may run.
pub const CHILD_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs the `watchsim` binary with `args` in folder `cwd` (at most [`CHILD_TIMEOUT`]).
pub fn watchsim(args: &[&str], cwd: &Path) -> Output {
    output(
        Command::new(env!("CARGO_BIN_EXE_watchsim"))
            .args(args)
            .current_dir(cwd),
    )
}

/// Runs `cmd` to completion with its stdout and stderr captured, like
/// [`Command::output`], but kills it and fails the test if it runs longer than
/// [`CHILD_TIMEOUT`].
pub fn output(cmd: &mut Command) -> Output {
    output_within(cmd, CHILD_TIMEOUT)
}

/// [`output`] with another time limit.
pub fn output_within(cmd: &mut Command, limit: Duration) -> Output {
    let mut running = Running::spawn_within(cmd, true, limit);
    let status = running.wait();
    let (stdout, stderr) = running.collect();
    Output {
        status,
        stdout,
        stderr,
    }
}

/// A child process with a deadline. Dropping it kills the child (and its process
/// group) if it is still running.
pub struct Running {
    child: Child,
    what: String,
    deadline: Instant,
    limit: Duration,
    stdout: Option<Receiver<Vec<u8>>>,
    stderr: Option<Receiver<Vec<u8>>>,
    status: Option<ExitStatus>,
}

/// Reads a pipe to its end on a thread; the bytes arrive on the channel.
fn drain(pipe: Option<impl Read + Send + 'static>) -> Option<Receiver<Vec<u8>>> {
    let mut pipe = pipe?;
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        let _ = tx.send(buf);
    });
    Some(rx)
}

impl Running {
    /// Starts `cmd` in its own process group, stdin closed; with `capture` its stdout
    /// and stderr are collected, otherwise stdout is discarded and stderr still kept.
    pub fn spawn(cmd: &mut Command, capture: bool) -> Running {
        Running::spawn_within(cmd, capture, CHILD_TIMEOUT)
    }

    /// [`Running::spawn`] with another time limit.
    pub fn spawn_within(cmd: &mut Command, capture: bool, limit: Duration) -> Running {
        let what = format!("{cmd:?}");
        cmd.stdin(Stdio::null())
            .stdout(if capture {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stderr(Stdio::piped())
            .process_group(0);
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
        let stdout = drain(child.stdout.take());
        let stderr = drain(child.stderr.take());
        Running {
            child,
            what,
            deadline: Instant::now() + limit,
            limit,
            stdout,
            stderr,
            status: None,
        }
    }

    /// Whether the child has exited (without waiting).
    pub fn exited(&mut self) -> bool {
        if self.status.is_none() {
            self.status = self.child.try_wait().expect("try_wait");
        }
        self.status.is_some()
    }

    /// Fails the test (after killing the child) once the deadline has passed.
    pub fn check_deadline(&mut self) {
        if Instant::now() >= self.deadline && !self.exited() {
            self.kill();
            let stderr = self.stderr_now();
            panic!(
                "{} did not finish within {:?} and was killed; stderr:\n{stderr}",
                self.what, self.limit
            );
        }
    }

    /// Waits for the child to exit, failing the test at the deadline.
    pub fn wait(&mut self) -> ExitStatus {
        while !self.exited() {
            self.check_deadline();
            std::thread::sleep(Duration::from_millis(10));
        }
        self.status.expect("exited")
    }

    /// Sends SIGKILL to the child's process group and reaps the child.
    pub fn kill(&mut self) {
        if self.status.is_none() {
            let pid = self.child.id() as libc::pid_t;
            // SAFETY: a plain kill(2) of the process group this helper created.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
            }
            self.status = Some(self.child.wait().expect("wait after kill"));
        }
    }

    /// The captured stdout and stderr, once the child has exited. A grandchild that
    /// keeps a pipe open past the deadline is killed with the group.
    pub fn collect(&mut self) -> (Vec<u8>, Vec<u8>) {
        let stdout = self.receive(true);
        let stderr = self.receive(false);
        (stdout, stderr)
    }

    fn receive(&mut self, stdout: bool) -> Vec<u8> {
        let slot = if stdout {
            &mut self.stdout
        } else {
            &mut self.stderr
        };
        let Some(rx) = slot.take() else {
            return Vec::new();
        };
        let left = self.deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(bytes) => bytes,
            Err(RecvTimeoutError::Timeout) => {
                let pid = self.child.id() as libc::pid_t;
                // SAFETY: as in `kill`: the group this helper created.
                unsafe {
                    libc::kill(-pid, libc::SIGKILL);
                }
                panic!(
                    "{}: a process it started kept its output open past {:?}",
                    self.what, self.limit
                );
            }
            Err(RecvTimeoutError::Disconnected) => Vec::new(),
        }
    }

    /// Whatever stderr the child wrote, after it was killed (waits briefly).
    fn stderr_now(&mut self) -> String {
        match self.stderr.take() {
            Some(rx) => rx
                .recv_timeout(Duration::from_secs(2))
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default(),
            None => String::new(),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A fresh, empty scratch folder `<group>/<name>` under cargo's test temp folder.
pub fn scratch(group: &str, name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(group)
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

#[test]
#[should_panic(expected = "did not finish within 1s and was killed; stderr:\nstarted")]
fn a_child_that_runs_too_long_is_killed_and_fails_with_its_stderr() {
    let started = Instant::now();
    let result = std::panic::catch_unwind(|| {
        output_within(
            Command::new("sh").args(["-c", "echo started >&2; sleep 30"]),
            Duration::from_secs(1),
        )
    });
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "not killed in time"
    );
    std::panic::resume_unwind(result.expect_err("the child should time out"));
}
