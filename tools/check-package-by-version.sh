#!/usr/bin/env bash
# Checks that another package can depend on DiffRay by version, as users of a
# tagged release do (SwiftPM refuses, for instance, unsafe compiler flags in
# such a dependency). It commits the working tree's files to a scratch git
# repository, tags it, and builds a package that depends on it with
# `.package(url: "file://...", from: "1.0.0")` and runs examples/gradient-hello's
# program, which must print 32.0. The scratch folder, .build/package-by-version,
# is kept between runs so that later runs rebuild only what changed.
#   tools/check-package-by-version.sh
set -euo pipefail
cd "$(dirname "$0")/.."
work=$PWD/.build/package-by-version
source=$work/diffray
consumer=$work/consumer
mkdir -p "$work"

# The library as a tagged repository: the files git would commit, as they are now.
rm -rf "$source"
mkdir -p "$source"
git ls-files -co --exclude-standard -z | tar -c --null -T - -f - | tar -x -C "$source" -f -
version=1.0.$(date +%s)   # a new tag each run, so that SwiftPM never reuses an older checkout
(
  cd "$source"
  git init -q
  git add -A
  git -c user.name=check -c user.email=check@localhost commit -q -m "DiffRay $version"
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
rm -f Package.resolved
swift package resolve >/dev/null
resolved=$(python3 -c "import json; print([p['state'].get('version') for p in json.load(open('Package.resolved'))['pins'] if p['identity'] == 'diffray'][0])")
[[ $resolved == "$version" ]] || { echo "check-package-by-version: resolved diffray $resolved, expected $version" >&2; exit 1; }
out=$(swift run -q consumer 2>&1 | tail -n 1)
echo "a package depending on DiffRay from: \"1.0.0\" (resolved $resolved) printed: $out"
[[ $out == "32.0" ]]
