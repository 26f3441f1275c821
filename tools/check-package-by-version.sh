#!/usr/bin/env bash
# Checks that another package can depend on DiffRay by version, as users of a
# tagged release do (SwiftPM refuses, for instance, unsafe compiler flags in
# such a dependency). It commits the working tree's files to a scratch git
# repository, tags it, and builds a package that depends on it with
# `.package(url: "file://...", from: "1.0.0")` and runs examples/gradient-hello's
# program, which must print 32.0. The scratch folder, .build/package-by-version,
# keeps the tagged repository and the build between runs.
#   tools/check-package-by-version.sh
set -euo pipefail
cd "$(dirname "$0")/.."
work=$PWD/.build/package-by-version
source=$work/diffray
consumer=$work/consumer
mkdir -p "$work"

# The library as a tagged repository: the files git would commit, as they are now, committed on top
# of the previous run's (so that SwiftPM's checkout changes only the files that changed) under a new tag.
mkdir -p "$source"
[[ -d $source/.git ]] || git -C "$source" init -q
find "$source" -mindepth 1 -maxdepth 1 ! -name .git -exec rm -rf {} +
git ls-files -co --exclude-standard -z | tar -c --null -T - -f - | tar -x -C "$source" -f -
version=1.0.$(date +%s)   # always above the tags of earlier runs, which caches keep
(
  cd "$source"
  git add -A
  git -c user.name=check -c user.email=check@localhost commit -q --allow-empty -m "DiffRay $version"
  git tag "$version"
)

# A user's package that depends on that version.
mkdir -p "$consumer/Sources/consumer"
cp examples/gradient-hello/Sources/gradient-hello/main.swift "$consumer/Sources/consumer/main.swift"
cat > "$consumer/Package.swift" <<SWIFT
// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "consumer",
    dependencies: [.package(url: "file://$source", from: "1.0.0")],
    targets: [.executableTarget(name: "consumer", dependencies: [.product(name: "DiffRay", package: "diffray")])]
)
SWIFT
cd "$consumer"
swift package update >/dev/null   # fetches the new tag
resolved=$(python3 -c "import json; print([p['state'].get('version') for p in json.load(open('Package.resolved'))['pins'] if p['identity'] == 'diffray'][0])")
[[ $resolved == "$version" ]] || { echo "check-package-by-version: resolved diffray $resolved, expected $version" >&2; exit 1; }
out=$(swift run -q consumer 2>&1 | tail -n 1)
echo "a package depending on DiffRay from: \"1.0.0\" (resolved $resolved) printed: $out"
[[ $out == "32.0" ]]
