#!/usr/bin/env python3
"""No import cycle between the files of any crate (ARCHITECTURE.md, "Invariants").

For every crate under crates/, each source file's references to other modules of
its crate (`crate::a::b`, `super::x`, `self::y`, in `use` items and in paths) are
resolved to the file that defines the module, following one `pub use` re-export
hop, and the file graph is checked for cycles. `mod x;` declarations are not
references. Exits 1 and names the files of each cycle found.

    scripts/check-module-cycles.py            # every crate
    scripts/check-module-cycles.py nuget lock # some crates
"""
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def module_files(src):
    """module path (tuple) -> file, for one crate's src/."""
    mods = {}
    for dirpath, _, files in os.walk(src):
        for f in files:
            if not f.endswith(".rs"):
                continue
            path = os.path.join(dirpath, f)
            rel = os.path.relpath(path, src)[:-3].split(os.sep)
            if rel in (["lib"], ["main"]):
                key = ()
            elif rel[-1] == "mod":
                key = tuple(rel[:-1])
            else:
                key = tuple(rel)
            mods[key] = path
    return mods


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def expand_use(tree):
    """`a::{b, c::{d, e}}` -> ["a::b", "a::c::d", "a::c::e"]."""
    tree = tree.strip()
    m = re.match(r"^(.*?)\{(.*)\}$", tree, flags=re.S)
    if not m:
        return [re.split(r"\s+as\s+", tree)[0].strip()]
    prefix, inner = m.group(1), m.group(2)
    parts, depth, cur = [], 0, ""
    for ch in inner:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    out = []
    for p in parts:
        if p.strip():
            out.extend(expand_use(prefix + p.strip()))
    return out


def references(text):
    """Module paths a file names, as written (`crate::x::Y`, `super::z`, `self::w`)."""
    text = strip_comments(text)
    refs = []
    for m in re.finditer(r"\buse\s+([^;]+);", text):
        refs.extend(expand_use(m.group(1)))
    for m in re.finditer(r"\b(?:crate|super|self)(?:::" + IDENT + r")+", text):
        refs.append(m.group(0))
    return [r for r in refs if re.match(r"^(crate|super|self)\b", r)]


def reexports(text):
    """name -> the path it is re-exported from, for `pub use` items of a file."""
    out = {}
    for m in re.finditer(r"\bpub(?:\([^)]*\))?\s+use\s+([^;]+);", strip_comments(text)):
        for path in expand_use(m.group(1)):
            name = path.split("::")[-1]
            alias = re.search(r"\s+as\s+(" + IDENT + ")", m.group(1))
            out[name] = path
            if alias:
                out[alias.group(1)] = path
    return out


def absolute(ref, here):
    segs = ref.split("::")
    if segs[0] == "crate":
        return list(segs[1:])
    base = list(here)
    while segs and segs[0] in ("super", "self"):
        if segs[0] == "super":
            base = base[:-1]
        segs = segs[1:]
    return base + segs


def resolve(segs, mods, exports, depth=0):
    """The file (module key) a path lands in: the deepest module prefix, then one
    re-export hop when the next segment is re-exported there."""
    for n in range(len(segs), -1, -1):
        key = tuple(segs[:n])
        if key in mods:
            rest = segs[n:]
            if rest and depth < 3 and rest[0] in exports.get(key, {}):
                target = exports[key][rest[0]]
                tsegs = absolute(target, key) if re.match(r"^(crate|super|self)\b", target) else None
                if tsegs is not None:
                    return resolve(tsegs + rest[1:], mods, exports, depth + 1)
            return key
    return None


def cycles(graph):
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(comp)

    sys.setrecursionlimit(10000)
    for v in list(graph):
        if v not in index:
            strong(v)
    return out


def check(crate_dir):
    src = os.path.join(crate_dir, "src")
    mods = module_files(src)
    texts = {k: open(p, encoding="utf-8").read() for k, p in mods.items()}
    exports = {k: reexports(t) for k, t in texts.items()}
    graph = {}
    for key, text in texts.items():
        edges = set()
        for ref in references(text):
            target = resolve(absolute(ref, key), mods, exports)
            if target is not None and target != key:
                edges.add(target)
        graph[key] = edges
    found = []
    for comp in cycles(graph):
        found.append(sorted(os.path.relpath(mods[k], ROOT) for k in comp))
    return found


def main():
    wanted = sys.argv[1:]
    crates_dir = os.path.join(ROOT, "crates")
    bad = 0
    for name in sorted(os.listdir(crates_dir)):
        if wanted and name not in wanted:
            continue
        d = os.path.join(crates_dir, name)
        if not os.path.isdir(os.path.join(d, "src")):
            continue
        for comp in check(d):
            bad += 1
            print(f"import cycle in crate {name}: " + " <-> ".join(comp))
    if bad:
        print(f"{bad} import cycle(s) between files; see ARCHITECTURE.md, \"Invariants\"")
        return 1
    print("no import cycle between the files of any crate")
    return 0


if __name__ == "__main__":
    sys.exit(main())
