//! Fetching the dependency graph ahead of the resolver, in parallel.
//!
//! The resolver walks the graph one package at a time: versions of a package,
//! then the dependencies of the version it picks, then the next package. Against
//! a remote feed each step is a round trip, so a 64-package graph cost tens of
//! sequential requests before any download began. [`Prefetched::warm`] walks
//! the same graph first, on several threads: for each
//! package it lists the versions, predicts the version the resolver will pick
//! (the recorded one when it still fits, else the range's best match),
//! downloads it into the package cache (which the lock needs anyway) and reads
//! its dependency group for the framework; its dependencies are queued at once,
//! so the walk takes about the graph's depth in round trips. The resolver then runs against the
//! answers it kept; anything it asks that was not predicted goes to the client
//! as before, so a wrong prediction costs time, never correctness.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::{Condvar, Mutex};

use nuget::NuGetClient;
use nuget::framework::{Framework, nearest};
use nuget::nupkg::RawDependencyGroup;
use nuget::version::{NuGetVersion, VersionRange};

use crate::resolver::{PackageIndex, ResolveRequest, SourceError};
use crate::source::{FetchedPackage, PackageFetcher};

/// A [`NuGetClient`] with answers fetched ahead of the resolver.
pub struct Prefetched<'c> {
    client: &'c NuGetClient,
    versions: Mutex<HashMap<String, Vec<String>>>,
    groups: Mutex<HashMap<(String, String), Vec<RawDependencyGroup>>>,
}

impl<'c> Prefetched<'c> {
    /// Walks the graph of `request` on up to `threads` threads: each package's
    /// dependencies are queued as soon as they are known (no waiting for the
    /// rest of its level).
    pub fn warm(client: &'c NuGetClient, request: &ResolveRequest, threads: usize) -> Self {
        let me = Prefetched {
            client,
            versions: Mutex::new(HashMap::new()),
            groups: Mutex::new(HashMap::new()),
        };
        struct Queue {
            jobs: VecDeque<(String, VersionRange, Framework)>,
            seen: HashSet<String>,
            running: usize,
        }
        let mut q = Queue {
            jobs: VecDeque::new(),
            seen: HashSet::new(),
            running: 0,
        };
        for r in &request.roots {
            if q.seen.insert(r.id.to_ascii_lowercase()) {
                q.jobs
                    .push_back((r.id.clone(), r.range.clone(), r.framework.clone()));
            }
        }
        let queue = Mutex::new(q);
        let ready = Condvar::new();
        let workers = threads.clamp(1, 16);
        std::thread::scope(|s| {
            for _ in 0..workers {
                s.spawn(|| {
                    loop {
                        let job = {
                            let mut q = queue.lock().expect("prefetch queue");
                            loop {
                                if let Some(j) = q.jobs.pop_front() {
                                    q.running += 1;
                                    break Some(j);
                                }
                                if q.running == 0 {
                                    break None;
                                }
                                q = ready.wait(q).expect("prefetch queue");
                            }
                        };
                        let Some((id, range, fw)) = job else {
                            ready.notify_all();
                            break;
                        };
                        let deps = me.one(&id, &range, &fw, &request.preferred);
                        let mut q = queue.lock().expect("prefetch queue");
                        for (d, r) in deps {
                            if q.seen.insert(d.to_ascii_lowercase()) {
                                q.jobs.push_back((d, r, request.framework.clone()));
                            }
                        }
                        q.running -= 1;
                        drop(q);
                        ready.notify_all();
                    }
                });
            }
        });
        me
    }

    fn one(
        &self,
        id: &str,
        range: &VersionRange,
        fw: &Framework,
        preferred: &BTreeMap<String, NuGetVersion>,
    ) -> Vec<(String, VersionRange)> {
        let Ok(raw) = self.client.list_versions(id) else {
            return Vec::new();
        };
        self.versions
            .lock()
            .expect("prefetch versions")
            .insert(id.to_ascii_lowercase(), raw.clone());
        let available: Vec<NuGetVersion> = raw
            .iter()
            .filter_map(|v| NuGetVersion::parse(v).ok())
            .collect();
        let chosen = match preferred.get(&id.to_ascii_lowercase()) {
            Some(p) if available.contains(p) && range.satisfies(p) => Some(p.clone()),
            _ => range.best_match(&available).cloned(),
        };
        let Some(version) = chosen else {
            return Vec::new();
        };
        let version = version.to_string();
        // The lock downloads it anyway; with it cached, the nuspec is read locally.
        let _ = self.client.download(id, &version);
        let Ok(groups) = self.client.dependency_groups(id, &version) else {
            return Vec::new();
        };
        self.groups
            .lock()
            .expect("prefetch groups")
            .insert((id.to_ascii_lowercase(), version), groups.clone());
        let parsed: Vec<(usize, Framework)> = groups
            .iter()
            .enumerate()
            .filter_map(|(i, g)| {
                let f = match &g.target_framework {
                    None => Ok(Framework::ANY),
                    Some(s) => Framework::parse(s),
                };
                f.ok().map(|f| (i, f))
            })
            .collect();
        let offered: Vec<Framework> = parsed.iter().map(|(_, f)| f.clone()).collect();
        let Some(k) = nearest(fw, &offered) else {
            return Vec::new();
        };
        groups[parsed[k].0]
            .dependencies
            .iter()
            .filter_map(|(d, r)| {
                let r = if r.trim().is_empty() {
                    VersionRange::all()
                } else {
                    VersionRange::parse(r).ok()?
                };
                Some((d.clone(), r))
            })
            .collect()
    }
}

impl PackageIndex for Prefetched<'_> {
    fn list_versions(&self, id: &str) -> Result<Vec<String>, SourceError> {
        if let Some(v) = self
            .versions
            .lock()
            .expect("prefetch versions")
            .get(&id.to_ascii_lowercase())
        {
            return Ok(v.clone());
        }
        PackageIndex::list_versions(self.client, id)
    }

    fn dependency_groups(
        &self,
        id: &str,
        version: &str,
    ) -> Result<Vec<RawDependencyGroup>, SourceError> {
        if let Some(g) = self
            .groups
            .lock()
            .expect("prefetch groups")
            .get(&(id.to_ascii_lowercase(), version.to_string()))
        {
            return Ok(g.clone());
        }
        PackageIndex::dependency_groups(self.client, id, version)
    }
}

impl PackageFetcher for Prefetched<'_> {
    fn fetch(
        &self,
        id: &str,
        version: &str,
        expected_sha512: Option<&str>,
    ) -> Result<FetchedPackage, SourceError> {
        self.client.fetch(id, version, expected_sha512)
    }
}
