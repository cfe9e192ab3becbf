#!/usr/bin/env python3
"""Fail when a dependency declares a rust-version above the workspace's (the toolchain for the
declared version cannot be installed on these machines, so this is how the claim is checked)."""
import json
import subprocess
import sys

meta = json.loads(subprocess.run(
    ["cargo", "metadata", "--format-version", "1", "--locked"],
    check=True, capture_output=True, text=True).stdout)


def version(v):
    return tuple(int(x) for x in (v or "0").split("."))


members = set(meta["workspace_members"])
ours = {version(p["rust_version"]) for p in meta["packages"] if p["id"] in members}
if len(ours) != 1:
    sys.exit(f"workspace crates declare different rust-versions: {sorted(ours)}")
declared = ours.pop()
over = [(p["name"], p["version"], p["rust_version"]) for p in meta["packages"]
        if p["id"] not in members and version(p["rust_version"]) > declared]
needed = max((version(p["rust_version"]) for p in meta["packages"]), default=declared)
print("declared rust-version %s; highest any dependency needs: %s"
      % (".".join(map(str, declared)), ".".join(map(str, needed))))
for name, ver, rv in over:
    print(f"  {name} {ver} needs {rv}")
sys.exit(1 if over else 0)
