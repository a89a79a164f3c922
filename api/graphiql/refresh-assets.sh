#!/usr/bin/env bash
# Refreshes the vendored GraphiQL assets in static/ from the npm registry (`npm pack`), with their
# licenses. Change a version below, run this, check `git diff --stat`, update README, run the tests
# (tests/e2e/test_graphiql_browser.py opens the page in Chromium).
# GraphiQL 3.x is the last line with a UMD build (graphiql.min.js, graphql-js bundled in, React and
# ReactDOM as globals); React 19 ships no UMD builds, hence React 18.
set -euo pipefail

GRAPHIQL_VERSION=3.9.0
REACT_VERSION=18.3.1

here="$(cd "$(dirname "$0")" && pwd)"
static="$here/static"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
npm pack --silent "graphiql@$GRAPHIQL_VERSION" "react@$REACT_VERSION" "react-dom@$REACT_VERSION" >/dev/null
for tarball in "graphiql-$GRAPHIQL_VERSION" "react-$REACT_VERSION" "react-dom-$REACT_VERSION"; do
  package="${tarball%-*}"
  mkdir "$package"
  tar -xzf "$tarball.tgz" -C "$package" --strip-components=1
  cp "$package/LICENSE" "$static/LICENSE-$package"
done
cp graphiql/graphiql.min.js graphiql/graphiql.min.css "$static/"
cp react/umd/react.production.min.js react-dom/umd/react-dom.production.min.js "$static/"
echo "static/: graphiql $GRAPHIQL_VERSION, react and react-dom $REACT_VERSION"
