//! The `.nuspec` of the package: built from the manifest, written with quick-xml, and
//! parsed back for validation.

use crate::config::{License, Manifest};
use crate::xml::{self, Element, empty_element, text_element};

/// The nuspec schema namespace NuGet writes today.
pub const NUSPEC_NS: &str = "http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd";

/// The metadata of a package, as this crate writes it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Nuspec {
    pub id: String,
    pub version: String,
    pub authors: String,
    pub description: String,
    /// `(type, value)`: `("expression", "MIT")` or `("file", "LICENSE.txt")`.
    pub license: Option<(String, String)>,
    pub license_url: Option<String>,
    pub readme: Option<String>,
    pub icon: Option<String>,
    pub project_url: Option<String>,
    /// `<repository type="git" url="…"/>`
    pub repository_url: Option<String>,
    pub tags: Option<String>,
    pub copyright: Option<String>,
    pub release_notes: Option<String>,
    /// Target frameworks of the (empty) dependency groups.
    pub dependency_groups: Vec<String>,
}

/// Files at the package root beside the nuspec: readme, icon, license file.
pub fn root_file_name(kind: &str, source: &std::path::Path) -> String {
    let ext = source
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy().to_ascii_lowercase()))
        .unwrap_or_default();
    match kind {
        "readme" => "README.md".to_string(),
        "icon" => format!("icon{ext}"),
        _ => format!("LICENSE{ext}"),
    }
}

impl Nuspec {
    /// The nuspec of `manifest`'s package.
    pub fn from_manifest(m: &Manifest) -> Nuspec {
        let p = &m.publish;
        let (license, license_url) = match &p.license {
            None => (None, None),
            Some(License::Expression(e)) => (
                Some(("expression".to_string(), e.clone())),
                Some(format!(
                    "https://licenses.nuget.org/{}",
                    e.replace(' ', "%20")
                        .replace('(', "%28")
                        .replace(')', "%29")
                )),
            ),
            Some(License::File(f)) => (
                Some(("file".to_string(), root_file_name("license", f))),
                Some("https://aka.ms/deprecateLicenseUrl".to_string()),
            ),
        };
        Nuspec {
            id: p.package_id.clone(),
            version: p.version.clone(),
            authors: p.authors.join(", "),
            description: p.description.clone(),
            license,
            license_url,
            readme: p.readme.as_ref().map(|r| root_file_name("readme", r)),
            icon: p.icon.as_ref().map(|i| root_file_name("icon", i)),
            project_url: p.project_url.clone(),
            repository_url: p.repository_url.clone(),
            tags: (!p.tags.is_empty()).then(|| p.tags.join(" ")),
            copyright: p.copyright.clone(),
            release_notes: p.release_notes.clone(),
            dependency_groups: vec![p.target_framework.short()],
        }
    }

    /// The document, in the element order of `dotnet pack`.
    pub fn to_xml(&self) -> Vec<u8> {
        let mut md = Element {
            name: "metadata".into(),
            ..Element::default()
        };
        let mut push = |e: Element| md.children.push(e);
        push(text_element("id", &self.id));
        push(text_element("version", &self.version));
        push(text_element("authors", &self.authors));
        if let Some((kind, value)) = &self.license {
            let mut l = text_element("license", value);
            l.attributes.push(("type".into(), kind.clone()));
            push(l);
        }
        if let Some(u) = &self.license_url {
            push(text_element("licenseUrl", u));
        }
        if let Some(i) = &self.icon {
            push(text_element("icon", i));
        }
        if let Some(r) = &self.readme {
            push(text_element("readme", r));
        }
        if let Some(u) = &self.project_url {
            push(text_element("projectUrl", u));
        }
        push(text_element("description", &self.description));
        if let Some(n) = &self.release_notes {
            push(text_element("releaseNotes", n));
        }
        if let Some(c) = &self.copyright {
            push(text_element("copyright", c));
        }
        if let Some(t) = &self.tags {
            push(text_element("tags", t));
        }
        if let Some(u) = &self.repository_url {
            push(empty_element("repository", &[("type", "git"), ("url", u)]));
        }
        let mut deps = Element {
            name: "dependencies".into(),
            ..Element::default()
        };
        for g in &self.dependency_groups {
            deps.children
                .push(empty_element("group", &[("targetFramework", g)]));
        }
        push(deps);
        let mut root = empty_element("package", &[("xmlns", NUSPEC_NS)]);
        root.children.push(md);
        xml::write(&root)
    }

    /// Reads a nuspec; unknown metadata elements are an error (this crate writes none).
    pub fn parse(text: &str) -> Result<Nuspec, String> {
        let root = xml::parse(text)?;
        if root.local_name() != "package" {
            return Err(format!(
                "the root element is <{}>, not <package>",
                root.name
            ));
        }
        let md = root.child("metadata").ok_or("<metadata> is missing")?;
        let mut n = Nuspec::default();
        for c in &md.children {
            let t = c.text.trim().to_string();
            match c.local_name() {
                "id" => n.id = t,
                "version" => n.version = t,
                "authors" => n.authors = t,
                "description" => n.description = c.text.clone(),
                "license" => n.license = Some((c.attr("type").unwrap_or("").to_string(), t)),
                "licenseUrl" => n.license_url = Some(t),
                "readme" => n.readme = Some(t),
                "icon" => n.icon = Some(t),
                "projectUrl" => n.project_url = Some(t),
                "releaseNotes" => n.release_notes = Some(c.text.clone()),
                "copyright" => n.copyright = Some(t),
                "tags" => n.tags = Some(t),
                "repository" => n.repository_url = c.attr("url").map(str::to_string),
                "dependencies" => {
                    for g in &c.children {
                        if g.local_name() != "group" {
                            return Err(format!(
                                "<dependencies> holds <{}>, not only <group>",
                                g.name
                            ));
                        }
                        if !g.children.is_empty() {
                            return Err(
                                "a dependency group lists dependencies; the facade has none".into(),
                            );
                        }
                        n.dependency_groups
                            .push(g.attr("targetFramework").unwrap_or("").to_string());
                    }
                }
                other => return Err(format!("unexpected metadata element <{other}>")),
            }
        }
        Ok(n)
    }
}
