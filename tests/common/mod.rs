//! What the end-to-end tests share: running the real `annals` binary against
//! a store in a temporary directory.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A temporary directory holding one store and the files a test writes.
pub struct Scratch {
    pub dir: tempfile::TempDir,
}

/// The result of one run of the binary.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Scratch {
    pub fn new() -> Scratch {
        Scratch {
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    pub fn db(&self) -> PathBuf {
        self.dir.path().join("store.db")
    }

    /// Writes a file into the scratch directory and returns its path.
    pub fn file(&self, name: &str, contents: &[u8]) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, contents).expect("write a scratch file");
        path
    }

    /// Runs `annals --db <store> args...`.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_stdin(args, None)
    }

    pub fn run_with_stdin(&self, args: &[&str], stdin: Option<&[u8]>) -> Run {
        self.run_full(args, stdin, &[])
    }

    /// Runs with a chosen storage engine for a store the run creates.
    pub fn run_with_engine(&self, args: &[&str], engine: &str) -> Run {
        self.run_full(args, None, &[("ANNALS_ENGINE", engine)])
    }

    /// Runs with more variables in the environment.
    pub fn run_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        self.run_full(args, None, env)
    }

    fn run_full(&self, args: &[&str], stdin: Option<&[u8]>, env: &[(&str, &str)]) -> Run {
        let mut command = Command::new(env!("CARGO_BIN_EXE_annals"));
        command.envs(env.iter().copied());
        command
            .arg("--db")
            .arg(self.db())
            .args(args)
            .env_remove("ANNALS_DB")
            .env("NO_COLOR", "1");
        command.stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = command.spawn().expect("spawn annals");
        if let Some(input) = stdin {
            use std::io::Write;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(input)
                .expect("write stdin");
        }
        finish(child.wait_with_output().expect("wait for annals"))
    }

    /// The exported log, which must not change when an import is refused.
    pub fn export(&self) -> String {
        let run = self.run(&["export"]);
        assert_eq!(run.code, 0, "export failed: {}", run.stderr);
        run.stdout
    }
}

pub fn finish(output: Output) -> Run {
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Every file of a directory (a store), by name, with its bytes: what a
/// command that must write nothing is compared against.
pub fn files_of(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("read the store directory")
        .map(|e| {
            let e = e.expect("a directory entry");
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).expect("read a store file"),
            )
        })
        .collect();
    files.sort();
    files
}

/// The bundled data set.
pub fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join("rare-earths.jsonl")
}

/// A small valid log: two attributes, two sources, three claims.
pub const BASE: &str = r#"{"op":"define","attribute":"export_quota","kind":"period","unit":"t","doc":"Annual export quota"}
{"op":"define","attribute":"share_of_world_reserves","kind":"state","unit":"%"}
{"op":"source","id":"reuters-2010-07","title":"Quota cut","publisher":"Reuters","published":"2010-07"}
{"op":"source","id":"mofcom-2010-10","title":"Quota","publisher":"MOFCOM","published":"2010-10-19","text":"This year's export quota is 24,280 tons."}
{"op":"assert","id":"q-early","subject":"china","attribute":"export_quota","valid":"2010","value":"~30000 t","source":"reuters-2010-07"}
{"op":"assert","id":"q-late","subject":"china","attribute":"export_quota","valid":"2010","value":"24280 t","source":"mofcom-2010-10","quote":"This year's export quota is 24,280 tons"}
{"op":"assert","id":"r-2010","subject":"china","attribute":"share_of_world_reserves","valid":"2010..","value":"~30 %","source":"reuters-2010-07"}
"#;
