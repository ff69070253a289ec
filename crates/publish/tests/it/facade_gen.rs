//! The facade generator on the test library: the C# it writes, and the project.

use crate::common;
use fixtures::assert_snapshot;

use publish::{config, decl, facade};

#[test]
fn facade_of_the_test_library() {
    let tmp = tempfile::tempdir().unwrap();
    let manifest_path = common::Library::new("Mochi.Mathx").write(tmp.path());
    let manifest = config::load(&manifest_path).unwrap();
    let api = decl::load(&manifest.publish.api).unwrap();
    let project = facade::generate(&manifest, &api).unwrap();
    if let Some(dump) = std::env::var_os("MOCHI_FACADE_DUMP") {
        for (name, text) in &project.files {
            std::fs::create_dir_all(&dump).unwrap();
            std::fs::write(std::path::Path::new(&dump).join(name), text).unwrap();
        }
    }
    assert_eq!(project.namespace, "Mochi.Mathx");
    assert_eq!(project.class_name, "Mathx");
    assert_eq!(project.symbol_prefix, "mochi_mathx_");
    let cs = &project.files["Facade.g.cs"];
    assert!(cs.contains("[LibraryImport(Library, EntryPoint = \"mochi_mathx_word_counts\")]"));
    assert!(cs.contains("public static Dictionary<string, long> WordCounts(string text)"));
    assert!(cs.contains("public static long? CounterPeek(Counter? c)"));
    assert!(cs.contains(
        "/// Divides <c>a</c> by <c>b</c>; fails with <c>DivideByZero</c> when <c>b</c> is 0."
    ));
    assert_eq!(project.required_symbols.len(), 3 + api.functions.len());
    // The whole generated project, reviewed as text (`cargo insta review`).
    assert_snapshot!("facade_cs", cs);
    assert_snapshot!("facade_csproj", project.files["Mochi.Mathx.csproj"]);
}
