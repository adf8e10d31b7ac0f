// Serves www/ on 127.0.0.1 with the same strict Content-Security-Policy the
// browser tests use, and prints the demo's URLs. PORT picks the port
// (default 8080; 0 for any free one). The CSP's connect-src admits the
// demo's remote matcher (MATCHER, default where scripts/serve-matcher
// listens), for ?matcher= in the demo page.
import { fileURLToPath } from "node:url";
import { startServer } from "../tests/e2e/server.js";

const root = fileURLToPath(new URL("../www", import.meta.url));
const matcher = process.env.MATCHER ?? "http://127.0.0.1:8787";
const server = await startServer(root, Number(process.env.PORT ?? 8080), {}, { connect: [matcher] });
console.log(`prescan demo:        ${server.url}/`);
console.log(`guarded form demo:   ${server.url}/embed.html`);
console.log(`remote mode:         ${server.url}/?matcher=${matcher}   (start scripts/serve-matcher first)`);
console.log("serving www/ under a strict CSP; Ctrl-C to stop");
