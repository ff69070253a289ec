//! `runtimeconfig.json`: the file hostfxr reads to pick the framework and set
//! runtime properties. Written by the host for the runtime it selected, or
//! supplied by the user and read for its framework requirement.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::locate::{FrameworkRequirement, NETCORE_APP, RollForward};
use crate::version::RuntimeVersion;

/// The machine may have no ICU; without this property CoreCLR aborts on first culture use.
pub const INVARIANT_GLOBALIZATION: &str = "System.Globalization.Invariant";

#[derive(Debug, Clone, PartialEq)]
pub struct RuntimeConfig {
    pub tfm: String,
    /// Pinned to the runtime the host selected, so hostfxr loads exactly that one.
    pub framework_version: RuntimeVersion,
    pub properties: BTreeMap<String, Value>,
}

impl RuntimeConfig {
    /// A config that runs `selected` for a shim built for `req`, with invariant globalization.
    pub fn for_runtime(req: &FrameworkRequirement, selected: &RuntimeVersion) -> Self {
        let mut properties = BTreeMap::new();
        properties.insert(INVARIANT_GLOBALIZATION.to_owned(), Value::Bool(true));
        RuntimeConfig {
            tfm: req.tfm(),
            framework_version: selected.clone(),
            properties,
        }
    }

    pub fn set_property(&mut self, name: impl Into<String>, value: impl Into<Value>) -> &mut Self {
        self.properties.insert(name.into(), value.into());
        self
    }

    /// Canonical text: sorted properties, two-space indent, LF, trailing newline.
    pub fn to_json(&self) -> String {
        let props: serde_json::Map<String, Value> = self
            .properties
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let doc = json!({
            "runtimeOptions": {
                "tfm": self.tfm,
                "rollForward": "LatestPatch",
                "framework": { "name": NETCORE_APP, "version": self.framework_version.to_string() },
                "configProperties": props,
            }
        });
        let mut s = serde_json::to_string_pretty(&doc).expect("a JSON value always serialises");
        s.push('\n');
        s
    }

    /// Writes through a temporary file and a rename, so a reader never sees half a file.
    pub fn write(&self, path: &Path) -> Result<()> {
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(io)?;
        }
        let mut tmp_name = path.file_name().unwrap_or_default().to_owned();
        tmp_name.push(format!(".tmp{}", std::process::id()));
        let tmp = path.with_file_name(tmp_name);
        fs::write(&tmp, self.to_json()).map_err(io)?;
        fs::rename(&tmp, path).map_err(io)
    }
}

/// The `Microsoft.NETCore.App` requirement of an existing runtimeconfig.json.
pub fn read_requirement(path: &Path) -> Result<FrameworkRequirement> {
    let text = fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_requirement(&text).map_err(|reason| Error::InvalidRuntimeConfig {
        path: path.to_path_buf(),
        reason,
    })
}

/// Whether a user-supplied config turns on invariant globalization (needed without ICU).
pub fn sets_invariant_globalization(text: &str) -> bool {
    serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| v["runtimeOptions"]["configProperties"][INVARIANT_GLOBALIZATION].as_bool())
        .unwrap_or(false)
}

pub fn parse_requirement(text: &str) -> std::result::Result<FrameworkRequirement, String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let opts = &doc["runtimeOptions"];
    if !opts.is_object() {
        return Err("no `runtimeOptions` object".into());
    }
    let frameworks: Vec<&Value> = match (&opts["framework"], &opts["frameworks"]) {
        (Value::Object(_), _) => vec![&opts["framework"]],
        (_, Value::Array(fs)) => fs.iter().collect(),
        _ => {
            return Err(
                "no `runtimeOptions.framework` (a self-contained config cannot be hosted)".into(),
            );
        }
    };
    let fw = frameworks
        .into_iter()
        .find(|f| f["name"] == NETCORE_APP)
        .ok_or_else(|| format!("does not reference {NETCORE_APP}"))?;
    let version = fw["version"]
        .as_str()
        .ok_or_else(|| format!("{NETCORE_APP} has no version"))?;
    let minimum: RuntimeVersion = version.parse().map_err(|e| format!("{e}"))?;
    // As hostfxr reads it: the framework reference's own setting, else the
    // config's; `rollForward`, else the pre-3.0 `rollForwardOnNoCandidateFx`
    // (0: patches only, 1: minor, 2: major) with `applyPatches`.
    let setting = |key: &str| fw.get(key).filter(|v| !v.is_null()).or(opts.get(key));
    let roll_forward = match setting("rollForward") {
        Some(v) => {
            let name = v.as_str().ok_or("`rollForward` is not a string")?;
            RollForward::parse(name).ok_or_else(|| {
                format!(
                    "`rollForward` cannot be {name:?}; .NET's values are {}",
                    RollForward::ALL.map(RollForward::name).join(", ")
                )
            })?
        }
        None => {
            let patches = setting("applyPatches").and_then(Value::as_bool) != Some(false);
            match setting("rollForwardOnNoCandidateFx").and_then(Value::as_u64) {
                Some(0) if patches => RollForward::LatestPatch,
                Some(0) => RollForward::Disable,
                Some(2) => RollForward::Major,
                _ => RollForward::Minor,
            }
        }
    };
    Ok(FrameworkRequirement {
        minimum,
        roll_forward,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_pinned_invariant_config() {
        let c =
            RuntimeConfig::for_runtime(&FrameworkRequirement::net(8, 0), &"8.0.4".parse().unwrap());
        let text = c.to_json();
        assert_eq!(
            text,
            r#"{
  "runtimeOptions": {
    "configProperties": {
      "System.Globalization.Invariant": true
    },
    "framework": {
      "name": "Microsoft.NETCore.App",
      "version": "8.0.4"
    },
    "rollForward": "LatestPatch",
    "tfm": "net8.0"
  }
}
"#
        );
        assert!(sets_invariant_globalization(&text));
        assert_eq!(
            parse_requirement(&text).unwrap().minimum.to_string(),
            "8.0.4"
        );
    }

    #[test]
    fn reads_user_configs() {
        let r = parse_requirement(
            r#"{"runtimeOptions":{"frameworks":[{"name":"Microsoft.AspNetCore.App","version":"8.0.0"},
               {"name":"Microsoft.NETCore.App","version":"8.0.1"}],"rollForward":"Major"}}"#,
        )
        .unwrap();
        assert_eq!(r.minimum.to_string(), "8.0.1");
        assert_eq!(r.roll_forward, RollForward::Major);
        // The framework reference's own setting wins; values are case-insensitive.
        let r = parse_requirement(
            r#"{"runtimeOptions":{"rollForward":"Disable","framework":{"name":"Microsoft.NETCore.App","version":"8.0.0","rollForward":"latestmajor"}}}"#,
        )
        .unwrap();
        assert_eq!(r.roll_forward, RollForward::LatestMajor);
        // No setting: .NET's default, Minor; the pre-3.0 settings still count.
        let fw = r#""framework":{"name":"Microsoft.NETCore.App","version":"8.0.0"}"#;
        let read = |extra: &str| {
            parse_requirement(&format!(r#"{{"runtimeOptions":{{{extra}{fw}}}}}"#))
                .map(|r| r.roll_forward)
        };
        assert_eq!(read(""), Ok(RollForward::Minor));
        assert_eq!(
            read(r#""rollForwardOnNoCandidateFx":2,"#),
            Ok(RollForward::Major)
        );
        assert_eq!(
            read(r#""rollForwardOnNoCandidateFx":0,"#),
            Ok(RollForward::LatestPatch)
        );
        assert_eq!(
            read(r#""rollForwardOnNoCandidateFx":0,"applyPatches":false,"#),
            Ok(RollForward::Disable)
        );
        let e = read(r#""rollForward":"Sideways","#).unwrap_err();
        assert!(
            e.contains("Disable, LatestPatch, Minor, LatestMinor, Major, LatestMajor"),
            "{e}"
        );
        assert!(
            parse_requirement("{}")
                .unwrap_err()
                .contains("runtimeOptions")
        );
        assert!(
            parse_requirement(r#"{"runtimeOptions":{"includedFrameworks":[]}}"#)
                .unwrap_err()
                .contains("self-contained")
        );
        assert!(parse_requirement("nope").unwrap_err().contains("not JSON"));
    }
}
