// Serves www/ on 127.0.0.1 with the same strict Content-Security-Policy the
// browser tests use, and prints the demo's URLs. PORT picks the port
// (default 8080; 0 for any free one).
import { fileURLToPath } from "node:url";
import { startServer } from "../tests/e2e/server.js";

const root = fileURLToPath(new URL("../www", import.meta.url));
const server = await startServer(root, Number(process.env.PORT ?? 8080));
console.log(`prescan demo:        ${server.url}/`);
console.log(`guarded form demo:   ${server.url}/embed.html`);
console.log("serving www/ under a strict CSP; Ctrl-C to stop");
