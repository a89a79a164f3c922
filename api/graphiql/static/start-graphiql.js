// Starts GraphiQL on the page api/graphiql/page.py renders. It is a file of its own, not an inline
// script, so that the page's Content-Security-Policy can allow scripts from 'self' only.
(function () {
  "use strict";
  var script = document.currentScript;
  // GraphiQL adds a <style> element at run time (react-remove-scroll); the bundle stamps it with
  // the nonce it finds in this global, which is how it passes the page's style-src.
  window.__webpack_nonce__ = script.nonce;

  var WELCOME = [
    "# Loyalty GraphQL API (development).",
    "#",
    "# Requests need a token: open Headers below and enter",
    '#   {"Authorization": "Bearer <token>"}',
    "# where `.venv/bin/loyalty token --role admin --program demo` prints one.",
    "# Headers are kept in this browser's local storage.",
    "#",
    "# Ctrl-Enter runs the query; Ctrl-Space completes.",
    "",
    "{",
    "  program {",
    "    key",
    "    name",
    "  }",
    "}",
    "",
  ].join("\n");

  var fetcher = GraphiQL.createFetcher({ url: script.dataset.endpoint });
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: WELCOME,
      defaultEditorToolsVisibility: true,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: true,
      inputValueDeprecation: true,
    }),
  );
})();
