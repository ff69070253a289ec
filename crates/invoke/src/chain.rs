//! The call chain: `Type.Member args… + Type.Member args…`, and the values
//! passed between its calls.

use serde_json::Value;

use crate::error::InvokeError;

/// One call of a chain.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub member: String,
    pub args: Vec<Value>,
}

/// Splits `Type.Member args… + Type.Member args…`. An argument that is not
/// JSON is taken as a string (`hello` = `"hello"`); write `"+"` for a plus sign.
pub fn parse_chain(tokens: &[String]) -> Result<Vec<Call>, InvokeError> {
    let mut calls = Vec::new();
    for group in tokens.split(|t| t == "+") {
        let Some((member, args)) = group.split_first() else {
            bail!("empty call in the chain (two `+` in a row, or a `+` at an end)");
        };
        let args = args
            .iter()
            .map(|a| serde_json::from_str(a).unwrap_or_else(|_| Value::String(a.clone())))
            .collect();
        calls.push(Call {
            member: member.clone(),
            args,
        });
    }
    if calls.is_empty() {
        bail!("nothing to call: give `Type.Member` (e.g. `JObject.Parse`)");
    }
    Ok(calls)
}

/// A value between calls.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Json(Value),
    /// A GCHandle and its CLR type.
    Handle(isize, String),
    /// A native callback for a delegate parameter: `fn(ctx, args…, results…,
    /// err)` and the release function (docs/hosting.md, "Callbacks").
    Callback {
        function: usize,
        context: usize,
        release: usize,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chains_split_on_plus() {
        let t: Vec<String> = [
            "JObject.Parse",
            "{\"a\":1}",
            "+",
            "JToken.SelectToken",
            "a",
            "+",
            "JToken.ToString",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let c = parse_chain(&t).unwrap();
        assert_eq!(c.len(), 3);
        assert_eq!(c[0].args, vec![serde_json::json!({"a": 1})]);
        assert_eq!(c[1].args, vec![Value::String("a".into())]);
        assert!(c[2].args.is_empty());
        assert!(parse_chain(&["+".to_string()]).is_err());
    }
}
