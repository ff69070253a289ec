//! The environment a run sees: a snapshot of variables, passed explicitly so that
//! tests can run the whole command in-process with a CI environment of their own,
//! and so that every child process gets exactly these variables.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

/// Environment variables of one run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Env {
    vars: BTreeMap<String, String>,
}

impl Env {
    /// The process's environment (variables that are not UTF-8 are left out).
    pub fn from_process() -> Env {
        Env {
            vars: std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
        }
    }

    /// An environment holding only `vars`.
    pub fn from_vars<K: Into<String>, V: Into<String>>(
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Env {
        Env {
            vars: vars
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// A non-empty variable.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.vars
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    pub fn set(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.vars.insert(key.into(), value.into());
    }

    pub fn remove(&mut self, key: &str) {
        self.vars.remove(key);
    }

    /// A command with exactly this environment.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new(program);
        c.env_clear().envs(&self.vars);
        c
    }

    /// mochi-dotnet's cache root (docs/nuget.md): `$MOCHI_DOTNET_CACHE`, else
    /// `$XDG_CACHE_HOME/mochi/dotnet-deps`, else `$HOME/.cache/mochi/dotnet-deps`.
    pub fn cache_root(&self) -> Option<PathBuf> {
        if let Some(p) = self.get(envvars::MOCHI_DOTNET_CACHE) {
            return Some(PathBuf::from(p));
        }
        if let Some(p) = self.get(envvars::XDG_CACHE_HOME) {
            return Some(PathBuf::from(p).join("mochi/dotnet-deps"));
        }
        self.get(envvars::HOME)
            .map(|h| PathBuf::from(h).join(".cache/mochi/dotnet-deps"))
    }

    /// Whether this is a GitHub Actions job.
    pub fn in_github_actions(&self) -> bool {
        self.get(envvars::GITHUB_ACTIONS) == Some("true")
    }
}
