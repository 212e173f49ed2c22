#!/usr/bin/env python3
"""Import cycles between the modules of one crate.

Usage: tools/module-cycles.py [crates/fnf-operator/src]

Reads every `use crate::...`/`use super::...` (and inline `crate::x::`/
`super::x::` paths) of each file up to its first `#[cfg(test)]`; test-only
files (`*tests.rs`, `test_fixtures.rs`) are skipped: tests may reach anything.
A `pub use` in a `mod.rs`/`lib.rs` is the module's facade, not a dependency of
its own. Prints every edge between modules, then each cycle (a strongly
connected component of more than one module); exits 1 when there is one.
"""

import os
import re
import sys

root = sys.argv[1] if len(sys.argv) > 1 else "crates/fnf-operator/src"


def module_of(path):
    rel = os.path.relpath(path, root)[:-3].split(os.sep)
    if rel[-1] in ("mod", "lib"):
        rel = rel[:-1]
    return tuple(rel)


files = {}
for dirpath, _, names in os.walk(root):
    if os.sep + "bin" in dirpath + os.sep and dirpath.endswith("bin"):
        continue
    for name in names:
        if not name.endswith(".rs") or name.endswith("tests.rs") or name == "test_fixtures.rs":
            continue
        path = os.path.join(dirpath, name)
        files[module_of(path)] = path
modules = set(files)


def resolve(base, parts):
    """The deepest known module named by `parts` from `base`."""
    path = list(base)
    for i, part in enumerate(parts):
        if part == "super":
            path = path[:-1]
            continue
        if part == "self":
            continue
        if tuple(path + [part]) in modules:
            path.append(part)
        else:
            break
    return tuple(path)


edges = {m: set() for m in modules}
path_re = re.compile(r"\b((?:crate|super|self)(?:::(?:super|\w+))+)")
for module, path in files.items():
    text = open(path, encoding="utf-8").read()
    text = text.split("#[cfg(test)]")[0]
    text = re.sub(r"//[^\n]*", "", text)
    facade = path.endswith("mod.rs") or path.endswith("lib.rs")
    # Expand `use a::{b, c::{d}}` into paths.
    for stmt in re.finditer(r"(pub(?:\([^)]*\))?\s+)?use\s+([^;]+);", text):
        if facade and stmt.group(1):
            text = text.replace(stmt.group(0), "")
    own = module if not path.endswith("mod.rs") else module
    # A file's `super` is its parent module; a mod.rs's `super` is its parent's parent.
    base = list(own) if path.endswith("mod.rs") or path.endswith("lib.rs") else list(own)
    for m in re.finditer(r"use\s+((?:crate|super)[^;]*);", text, re.S):
        body = re.sub(r"\s+", "", m.group(1))

        def expand(prefix, rest):
            if rest.startswith("{") and rest.endswith("}"):
                depth, cur, out = 0, "", []
                for ch in rest[1:-1]:
                    if ch == "{":
                        depth += 1
                    elif ch == "}":
                        depth -= 1
                    if ch == "," and depth == 0:
                        out.append(cur)
                        cur = ""
                    else:
                        cur += ch
                if cur:
                    out.append(cur)
                for item in out:
                    yield from expand(prefix, item)
                return
            head, sep, tail = rest.partition("::")
            if sep and not head.startswith("{"):
                yield from expand(prefix + [head], tail)
            elif rest.startswith("{"):
                yield from expand(prefix, rest)
            else:
                yield prefix + [rest.split(" as ")[0]]

        for parts in expand([], body):
            if parts[0] == "crate":
                target = resolve((), parts[1:])
            else:
                target = resolve(tuple(base), parts)
            if target != own and target in modules and target != ():
                edges[own].add(target)
    for m in path_re.finditer(text):
        parts = m.group(1).split("::")
        if parts[0] == "crate":
            target = resolve((), parts[1:])
        elif parts[0] == "super":
            target = resolve(tuple(base), parts)
        else:
            continue
        if target != own and target in modules and target != ():
            edges[own].add(target)

name = lambda m: "::".join(m) or "crate"
for m in sorted(edges):
    if edges[m]:
        print(f"{name(m)} -> {', '.join(sorted(name(t) for t in edges[m]))}")

# Tarjan's strongly connected components.
index, low, stack, on, sccs = {}, {}, [], set(), []
counter = [0]


def strong(v):
    index[v] = low[v] = counter[0]
    counter[0] += 1
    stack.append(v)
    on.add(v)
    for w in edges[v]:
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
            sccs.append(comp)


sys.setrecursionlimit(10000)
for v in sorted(edges):
    if v not in index:
        strong(v)
print()
if sccs:
    for comp in sccs:
        print("CYCLE:", " <-> ".join(sorted(name(m) for m in comp)))
    sys.exit(1)
print(f"no import cycles among {len(modules)} modules")
