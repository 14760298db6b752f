"""How much a reader downloads: the wheels of the reader's set per platform, summed from uv.lock.

    python scripts/install_size.py [--python 3.11] [--group dev]

uv.lock records every wheel's size. For each supported platform this walks the lock from the project's
dependencies (the reader's set; `--group dev` adds the maintainers' set), keeping the packages whose
environment markers hold there, picks the wheel pip or uv would pick (the most specific compatible tag),
and adds up the sizes. These are download sizes: unpacked, a wheel takes about twice as much disk.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from collections import defaultdict

from packaging.markers import Marker
from packaging.tags import Tag, compatible_tags, cpython_tags, mac_platforms
from packaging.utils import parse_wheel_filename

from notebook_runner import REPO_ROOT

PROJECT = "learn-pytorch-notebooks"


def linux_platforms(machine: str) -> list[str]:
    legacy = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}  # the old names of glibc 2.17, 2.12, 2.5
    names = []
    for minor in range(39, 4, -1):
        names.append(f"manylinux_2_{minor}_{machine}")
        if minor in legacy:
            names.append(f"{legacy[minor]}_{machine}")
    return names


#: Platform name -> (marker environment, platform tags in pip's order of preference).
PLATFORMS = {
    "Linux x86-64": ({"sys_platform": "linux", "platform_machine": "x86_64", "platform_system": "Linux",
                      "os_name": "posix"}, linux_platforms("x86_64")),
    "Linux aarch64": ({"sys_platform": "linux", "platform_machine": "aarch64", "platform_system": "Linux",
                       "os_name": "posix"}, linux_platforms("aarch64")),
    "macOS arm64 (14+)": ({"sys_platform": "darwin", "platform_machine": "arm64", "platform_system": "Darwin",
                          "os_name": "posix"}, list(mac_platforms((14, 0), "arm64"))),
    "Windows x86-64": ({"sys_platform": "win32", "platform_machine": "AMD64", "platform_system": "Windows",
                        "os_name": "nt"}, ["win_amd64"]),
}


def tags_for(python: str, platforms: list[str]) -> list[Tag]:
    version = tuple(int(part) for part in python.split("."))
    return [*cpython_tags(version, platforms=platforms), *compatible_tags(version, platforms=platforms)]


def packages_for(lock: dict, environment: dict, groups: list[str]) -> list[dict]:
    """The locked packages a fresh install gets in ``environment``: the closure of the project's dependencies."""
    by_name = defaultdict(list)
    for package in lock["package"]:
        by_name[package["name"]].append(package)
    project = by_name[PROJECT][0]
    todo = list(project["dependencies"]) + [d for g in groups for d in project["dev-dependencies"][g]]
    chosen: dict[tuple[str, str], dict] = {}
    seen_extras: set[tuple[str, str, str]] = set()
    while todo:
        dependency = todo.pop()
        if "marker" in dependency and not Marker(dependency["marker"]).evaluate(environment):
            continue
        candidates = [p for p in by_name[dependency["name"]]
                      if "version" not in dependency or p["version"] == dependency["version"]]
        package = candidates[0]
        key = (package["name"], package["version"])
        if key not in chosen:
            chosen[key] = package
            todo += package.get("dependencies", [])
        for extra in dependency.get("extra", []):
            if (*key, extra) not in seen_extras:
                seen_extras.add((*key, extra))
                todo += package.get("optional-dependencies", {}).get(extra, [])
    return list(chosen.values())


def wheel_size(package: dict, tags: list[Tag]) -> int:
    """The size of the wheel an installer picks for these tags (earlier tags are preferred)."""
    rank = {tag: position for position, tag in enumerate(tags)}
    best = None
    for wheel in package.get("wheels", []):
        wheel_tags = parse_wheel_filename(wheel["url"].rsplit("/", 1)[-1])[3]
        position = min((rank[t] for t in wheel_tags if t in rank), default=None)
        if position is not None and (best is None or position < best[0]):
            best = (position, wheel["size"])
    if best is None:
        raise SystemExit(f"uv.lock: {package['name']} {package['version']} has no wheel for these tags")
    return best[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default="3.11", help="the Python version whose wheels count (default 3.11)")
    parser.add_argument("--group", action="append", default=[], help="add a dependency group (dev)")
    args = parser.parse_args()
    lock = tomllib.loads((REPO_ROOT / "uv.lock").read_text(encoding="utf-8"))
    major_minor = args.python
    print(f"download size of the {'reader' if not args.group else 'reader + ' + '+'.join(args.group)} set, "
          f"Python {major_minor}, from uv.lock:")
    for name, (environment, platforms) in PLATFORMS.items():
        environment = dict(environment, python_version=major_minor, python_full_version=f"{major_minor}.0",
                           implementation_name="cpython", platform_python_implementation="CPython")
        packages = packages_for(lock, environment, args.group)
        sizes = {p["name"]: wheel_size(p, tags_for(major_minor, platforms)) for p in packages}
        total = sum(sizes.values())
        largest = ", ".join(f"{n} {s / 1e9:.2f} GB" for n, s in sorted(sizes.items(), key=lambda i: -i[1])[:3])
        print(f"  {name:18} {total / 1e9:5.2f} GB in {len(packages):3d} packages (largest: {largest})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
