//! Calls across several packages' shims in one process: what a program using
//! more than one package does (a `ServiceCollection` from the DI package
//! handed to an extension method of its abstractions package, a
//! `SqliteConnection` from Microsoft.Data.Sqlite handed to Dapper).
//!
//! Every shim is loaded into the shared load context (docs/hosting.md), so a
//! .NET object made by one shim is the same object, of the same type, in
//! another. A member is looked up in every loaded package (`Type.Member` as
//! `mochi-dotnet invoke` names it); the arguments are matched as `invoke`
//! matches them, plus:
//!
//! - trailing parameters with a .NET default may be left out;
//! - a receiver may be given to an extension method (receiver style:
//!   `IServiceCollection.AddSingleton` finds
//!   `ServiceCollectionServiceExtensions.AddSingleton(IServiceCollection, …)`);
//! - a JSON value for a parameter of a struct or class type with an implicit
//!   conversion from it (`RedisKey` from a string) is converted by calling
//!   that `op_Implicit` first;
//! - a JSON value for an `object` parameter is boxed by the shim.
//!
//! Handles are released through the shim that made them when the session
//! ends (or by [`Session::release`]). A native callback may call back into the
//! session (on any thread): its methods take `&self`.

use hosting::Shim;
use serde_json::Value;
use shimgen::BindingPlan;
use shimgen::plan::{ItemKind, PlanItem};
use shimgen::typemap::Marshal;

use crate::call::invoke_item;
use crate::chain::Val;
use crate::error::InvokeError;
use crate::resolve::{candidates, complete_args, fits_form};

/// One package's binding and loaded shim.
pub struct Package {
    pub id: String,
    pub plan: BindingPlan,
    pub shim: Shim,
    pub exports: String,
}

/// Loaded packages and the handles their calls returned.
#[derive(Default)]
pub struct Session {
    packages: Vec<Package>,
    /// (handle, index of the package whose shim made it). Behind a lock: a
    /// native callback may call back into the session, on any thread.
    owned: std::sync::Mutex<Vec<(isize, usize)>>,
}

impl Session {
    pub fn new() -> Session {
        Session::default()
    }

    /// Adds a loaded package (its shim in the shared load context, or isolated
    /// when alone); its members are found after those of earlier ones.
    pub fn add(&mut self, package: Package) {
        self.packages.push(package);
    }

    pub fn packages(&self) -> &[Package] {
        &self.packages
    }

    /// Calls `member` (`Type.Member`, as `invoke` names it) with an optional
    /// receiver and the arguments; the result's handles belong to the session.
    pub fn call(
        &self,
        member: &str,
        receiver: Option<&Val>,
        args: &[Val],
    ) -> Result<Val, InvokeError> {
        let (k, item, recv, args) = self.resolve(member, receiver, args)?;
        let mut converted = Vec::with_capacity(args.len());
        let named: Vec<&shimgen::plan::ParamPlan> =
            item.params.iter().filter(|p| p.name.is_some()).collect();
        for (p, a) in named.iter().zip(&args) {
            converted.push(self.convert(p, a)?);
        }
        let mut created = Vec::new();
        let pkg = &self.packages[k];
        let r = invoke_item(
            &pkg.shim,
            &pkg.exports,
            &item,
            recv,
            &converted,
            &mut created,
        );
        // Boxed arguments (made by this call's shim) are released with the rest.
        self.own(created, k);
        r.map_err(|e| e.within(format!("{member} ({})", item.source)))
    }

    /// `call` returning a JSON value (a handle result is an error).
    pub fn json(
        &self,
        member: &str,
        receiver: Option<&Val>,
        args: &[Val],
    ) -> Result<Value, InvokeError> {
        match self.call(member, receiver, args)? {
            Val::Json(v) => Ok(v),
            other => bail!("{member} returned {other:?}, not a value"),
        }
    }

    /// The candidate to call, its package, the receiver and the full argument list.
    fn resolve(
        &self,
        member: &str,
        receiver: Option<&Val>,
        args: &[Val],
    ) -> Result<(usize, PlanItem, Option<Val>, Vec<Val>), InvokeError> {
        let mut cands: Vec<(usize, &PlanItem)> = Vec::new();
        let mut errors = Vec::new();
        for (k, p) in self.packages.iter().enumerate() {
            match candidates(&p.plan, member) {
                Ok(v) => cands.extend(v.into_iter().map(|i| (k, i))),
                Err(e) => errors.push(e.to_string()),
            }
        }
        // Receiver style: extension methods whose first parameter the receiver is.
        let (t, m) = member
            .rsplit_once('.')
            .ok_or_else(|| err!("`{member}`: expected Type.Member"))?;
        if receiver.is_some() {
            for (k, p) in self.packages.iter().enumerate() {
                for i in &p.plan.items {
                    let first = i.params.iter().find(|p| p.name.is_some());
                    if i.extension
                        && i.target.member == m
                        && first.is_some_and(|f| self.names_type(t, &f.clr_type))
                        && !cands.iter().any(|(_, c)| std::ptr::eq(*c, i))
                    {
                        cands.push((k, i));
                    }
                }
            }
        }
        if cands.is_empty() {
            bail!(
                "{member} is not a translated member of any loaded package ({}):\n  {}",
                self.packages
                    .iter()
                    .map(|p| p.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                errors.join("\n  ")
            );
        }
        let mut fits: Vec<(usize, &PlanItem, Option<Val>, Vec<Val>, usize)> = Vec::new();
        for (k, i) in &cands {
            let (recv, list): (Option<Val>, Vec<Val>) = match (receiver, &i.receiver) {
                (Some(r), Some(_)) => (Some(r.clone()), args.to_vec()),
                (Some(r), None) if i.extension => {
                    let mut l = vec![r.clone()];
                    l.extend(args.iter().cloned());
                    (None, l)
                }
                (Some(_), None) => continue,
                (None, Some(_)) => continue,
                (None, None) => (None, args.to_vec()),
            };
            let Some(full) = complete_args(i, &list) else {
                continue;
            };
            let named: Vec<&shimgen::plan::ParamPlan> =
                i.params.iter().filter(|p| p.name.is_some()).collect();
            if !named.iter().zip(&full).all(|(p, a)| self.fits(p, a)) {
                continue;
            }
            let exact = usize::from(named.len() == list.len());
            let score = natural(i, &full) * 2 + exact;
            fits.push((*k, i, recv, full, score));
        }
        let best = fits.iter().map(|f| f.4).max();
        fits.retain(|f| Some(f.4) == best);
        match fits.len() {
            1 => {
                let (k, i, r, a, _) = fits.pop().expect("one");
                Ok((k, i.clone(), r, a))
            }
            0 => bail!(
                "no overload of {member} takes these arguments ({} given{}); candidates:\n{}",
                args.len(),
                if receiver.is_some() {
                    " after the receiver"
                } else {
                    ""
                },
                cands
                    .iter()
                    .map(|(_, i)| format!("  {} [{}]", i.alias, i.source))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
            _ => bail!(
                "{member} is ambiguous for these arguments; name one by its alias:\n{}",
                fits.iter()
                    .map(|f| format!("  {} [{}]", f.1.alias, f.1.source))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
        }
    }

    /// Whether `spec` (a Mochi or CLR type name) names `clr` or one of its bases.
    fn names_type(&self, spec: &str, clr: &str) -> bool {
        let short = |c: &str| {
            let s = c.rsplit(['.', '+']).next().unwrap_or(c);
            s.split('`').next().unwrap_or(s).to_string()
        };
        clr == spec
            || short(clr) == spec
            || self.packages.iter().any(|p| {
                p.plan
                    .extern_types
                    .iter()
                    .any(|t| t.clr_type == clr && t.name == spec)
            })
    }

    fn fits(&self, p: &shimgen::plan::ParamPlan, a: &Val) -> bool {
        if fits_form(&p.marshal, a) {
            return true;
        }
        matches!(a, Val::Json(j) if !j.is_null()) && self.implicit_from(&p.clr_type, a).is_some()
    }

    /// An implicit conversion operator to `clr` (`T.op_Implicit(X)`) that takes `a`.
    fn implicit_from(&self, clr: &str, a: &Val) -> Option<(usize, &PlanItem)> {
        for (k, p) in self.packages.iter().enumerate() {
            for i in &p.plan.items {
                if i.target.member == "op_Implicit"
                    && i.kind == ItemKind::StaticMethod
                    && i.target.declaring_type == clr
                    && i.returns.clr_type == clr
                    && i.params.len() == 1
                    && fits_form(&i.params[0].marshal, a)
                {
                    return Some((k, i));
                }
            }
        }
        None
    }

    /// A JSON argument for a handle parameter through its implicit conversion.
    fn convert(&self, p: &shimgen::plan::ParamPlan, a: &Val) -> Result<Val, InvokeError> {
        if fits_form(&p.marshal, a) {
            return Ok(a.clone());
        }
        let Some((k, op)) = self.implicit_from(&p.clr_type, a) else {
            return Ok(a.clone());
        };
        let op = op.clone();
        let mut created = Vec::new();
        let pkg = &self.packages[k];
        let v = invoke_item(
            &pkg.shim,
            &pkg.exports,
            &op,
            None,
            &[a.clone()],
            &mut created,
        );
        self.own(created, k);
        v.map_err(|e| {
            e.within(format!(
                "converting the argument of {} implicitly",
                p.clr_type
            ))
        })
    }

    /// `ToString()` of an object, through the first package that binds it.
    pub fn describe(&self, v: &Val) -> Option<String> {
        let Val::Handle(h, ty) = v else { return None };
        for k in 0..self.packages.len() {
            let mut created = Vec::new();
            let p = &self.packages[k];
            let d =
                crate::call::describe_handle(&p.shim, &p.plan, &p.exports, *h, ty, &mut created);
            self.own(created, k);
            if let Some(Value::String(s)) = d.get("string") {
                return Some(s.clone());
            }
        }
        None
    }

    /// Releases one handle the session holds now (through the shim that made it).
    pub fn release(&self, v: &Val) -> Result<(), InvokeError> {
        let Val::Handle(h, _) = v else { return Ok(()) };
        let found = {
            let mut owned = self.owned.lock().expect("session handles");
            owned
                .iter()
                .position(|(x, _)| x == h)
                .map(|pos| owned.remove(pos))
        };
        if let Some((h, k)) = found {
            self.packages[k].shim.release_handle(h)?;
        }
        Ok(())
    }

    fn own(&self, handles: Vec<isize>, k: usize) {
        self.owned
            .lock()
            .expect("session handles")
            .extend(handles.into_iter().map(|h| (h, k)));
    }

    /// Handles of every loaded shim not yet released.
    pub fn live_handles(&self) -> i64 {
        self.packages.iter().map(|p| p.shim.live_handles()).sum()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let owned = std::mem::take(self.owned.get_mut().expect("session handles"));
        for (h, k) in owned {
            let _ = self.packages[k].shim.release_handle(h);
        }
    }
}

/// Whether `plan` has a member `spec` (`Type.Member`) names: one of the type
/// (`invoke`'s [`candidates`]), or an extension method `Member` whose first
/// parameter is `Type` (receiver style).
pub fn offers(plan: &BindingPlan, spec: &str) -> bool {
    if candidates(plan, spec).is_ok() {
        return true;
    }
    let Some((t, m)) = spec.rsplit_once('.') else {
        return false;
    };
    plan.items.iter().any(|i| {
        i.extension
            && i.target.member == m
            && i.params.iter().find(|p| p.name.is_some()).is_some_and(|f| {
                let c = &f.clr_type;
                let short = c.rsplit(['.', '+']).next().unwrap_or(c);
                c == t || short.split('`').next() == Some(t)
            })
    })
}

/// How naturally the .NET parameter types take the JSON (as `invoke` ranks).
fn natural(i: &PlanItem, args: &[Val]) -> usize {
    i.params
        .iter()
        .filter(|p| p.name.is_some())
        .zip(args)
        .map(|(p, a)| match a {
            Val::Json(Value::Number(n)) if n.is_i64() => match p.clr_type.as_str() {
                "System.Int64" => 3,
                "System.Int32" => 2,
                _ => 0,
            },
            Val::Json(Value::Number(_)) => usize::from(p.clr_type == "System.Double") * 3,
            Val::Json(Value::String(_)) => usize::from(p.clr_type == "System.String") * 3,
            Val::Json(Value::Bool(_)) => usize::from(p.clr_type == "System.Boolean") * 3,
            Val::Handle(_, t) if *t == p.clr_type => 3,
            _ => match &p.marshal {
                Marshal::Any => 0,
                _ => 1,
            },
        })
        .sum()
}
