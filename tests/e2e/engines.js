// The browsers the e2e tests run in, behind the part of Playwright's API
// the tests use (page.evaluate, locator(...).evaluate/getAttribute/...,
// waitForSelector, setInputFiles, context.on("request"), ...):
//
//   chromium  Debian's Chromium through playwright-core: Playwright's own
//             objects, unchanged.
//   firefox   Debian's Firefox ESR through puppeteer-core (WebDriver BiDi).
//   webkit    WebKitGTK's MiniBrowser through WebKitWebDriver and
//             selenium-webdriver (classic WebDriver), under Xvfb.
//
// For Firefox and WebKit, every page call is one function run in the page
// (`call` below: the function's source and a JSON argument, compiled by
// the driver, outside the page's CSP as Playwright's are), and the waits
// poll it. What a driver cannot observe is observed another way, never
// dropped:
// - requests (context.on("request")): both engines go through a recording
//   HTTP proxy started here, which sees what goes on the wire (method, URL,
//   headers, body). CORS preflights are not reported (Playwright reports
//   none either), and the browser's own /favicon.ico fetch (Chromium makes
//   none) is answered 404 by the proxy, not passed on.
// - WebKitWebDriver has no init scripts, console, page errors or failed
//   requests: the proxy adds a same-origin <script src> as the first thing
//   of every HTML page (allowed by script-src 'self', run before the page's
//   scripts), holding the init scripts and a collector that wraps
//   console.error, listens for `error` and `unhandledrejection` and records
//   rejected fetches; each call reads the collector back and the page emits
//   "console", "pageerror" and "requestfailed" as Playwright does. It sees
//   the page's own thread only: not its workers, nor messages the browser
//   itself logs.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const ENGINES = ["chromium", "firefox", "webkit"];

/** The engine named by the environment variable ENGINE (chromium by default). */
export function engineFromEnv() {
  const engine = process.env.ENGINE || "chromium";
  if (!ENGINES.includes(engine)) throw new Error(`ENGINE=${engine}: not one of ${ENGINES.join(", ")}`);
  return engine;
}

export const FIREFOX = process.env.FIREFOX ?? "/usr/bin/firefox-esr";
export const MINIBROWSER = process.env.MINIBROWSER ?? "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser";
export const WEBKIT_DRIVER = process.env.WEBKIT_DRIVER ?? "/usr/bin/WebKitWebDriver";

/**
 * A browser context of `engine`: for chromium, Playwright's persistent
 * context (in `profile`, with `args`); else an adapter with the same calls.
 * `timeout`: the default timeout of waits.
 */
export async function launch(engine, { profile, chromium: chromiumPath, args = [], timeout = 30_000 } = {}) {
  if (engine === "chromium") {
    const { chromium } = await import("playwright-core");
    const context = await chromium.launchPersistentContext(profile, { executablePath: chromiumPath, headless: true, args });
    context.setDefaultTimeout(timeout);
    return context;
  }
  if (engine === "firefox") return FirefoxContext.launch(profile, timeout);
  if (engine === "webkit") return WebKitContext.launch(timeout);
  throw new Error(`unknown engine ${engine}`);
}

// --- values across the driver ------------------------------------------------

// What JSON lacks and Playwright carries: undefined (also as a property's
// value), NaN, ±Infinity, -0, Dates. `walk` runs in the page too (its source
// is put into the scripts), `unwalk` in Node and in the page.
function walk(v) {
  if (v === undefined || typeof v === "function" || typeof v === "symbol") return { __e2e: "undefined" };
  if (typeof v === "number") {
    if (Number.isNaN(v)) return { __e2e: "NaN" };
    if (v === Infinity) return { __e2e: "Infinity" };
    if (v === -Infinity) return { __e2e: "-Infinity" };
    if (Object.is(v, -0)) return { __e2e: "-0" };
    return v;
  }
  if (typeof v === "bigint") return { __e2e: "bigint", v: String(v) };
  if (v === null || typeof v !== "object") return v;
  if (v instanceof Date) return { __e2e: "date", v: v.toISOString() };
  if (v instanceof Error) return { __e2e: "error", name: v.name, message: v.message, stack: v.stack };
  if (ArrayBuffer.isView(v)) return Array.from(v);
  if (Array.isArray(v)) return v.map(walk);
  const out = {};
  for (const [k, x] of Object.entries(v)) out[k] = walk(x);
  return out;
}

function unwalk(v) {
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map(unwalk);
  if (typeof v.__e2e === "string" && Object.keys(v).every((k) => ["__e2e", "v", "name", "message", "stack"].includes(k))) {
    switch (v.__e2e) {
      case "undefined": return undefined;
      case "NaN": return NaN;
      case "Infinity": return Infinity;
      case "-Infinity": return -Infinity;
      case "-0": return -0;
      case "bigint": return BigInt(v.v);
      case "date": return new Date(v.v);
      case "error": return Object.assign(new Error(v.message), { name: v.name, stack: v.stack });
    }
  }
  const out = {};
  for (const [k, x] of Object.entries(v)) out[k] = unwalk(x);
  return out;
}

/**
 * The body of an async function of `input` (the JSON of walk(arg)) that
 * runs `src` in the page, on document.querySelector(selector) when
 * `selector` is not null ({ missing: true } without one), and resolves to
 * the JSON of walk({ value }).
 */
function callBody(src, selector) {
  return `
    const walk = ${walk.toString()};
    const unwalk = ${unwalk.toString()};
    const arg = unwalk(JSON.parse(input));
    const selector = ${JSON.stringify(selector)};
    const fn = (${src});
    let out;
    if (selector === null) {
      out = { value: await fn(arg) };
    } else {
      const el = document.querySelector(selector);
      out = el ? { value: await fn(el, arg) } : { missing: true };
    }
    return JSON.stringify(walk(out));`;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The function source of `fn` (a function, or a string: an expression). */
function sourceOf(fn) {
  return typeof fn === "function" ? fn.toString() : `() => (${fn})`;
}

// Elements as Playwright's default (visible) waits see them: a non-empty
// box, not visibility: hidden.
const VISIBLE = (el) => {
  const r = el.getBoundingClientRect();
  return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== "hidden";
};

// --- the page API, on top of call() ------------------------------------------

/** What Playwright's Response gives for page.request.get: fetched by Node. */
async function apiGet(url) {
  const r = await fetch(url);
  const body = Buffer.from(await r.arrayBuffer());
  const headers = Object.fromEntries(r.headers.entries());
  return {
    url: () => url,
    status: () => r.status,
    ok: () => r.ok,
    headers: () => headers,
    body: async () => body,
    text: async () => body.toString("utf8"),
    json: async () => JSON.parse(body.toString("utf8")),
  };
}

/**
 * Playwright's Page, for a subclass's call(src, arg, selector) (resolves
 * to { value } or { missing: true }), click, setFiles, goto, close,
 * addInitScript and events.
 */
class AdaptedPage {
  constructor(context) {
    this.context = context;
    this.listeners = new Map();
    this.request = { get: (url) => apiGet(url) };
  }

  on(event, fn) {
    if (!this.listeners.has(event)) this.listeners.set(event, []);
    this.listeners.get(event).push(fn);
    return this;
  }

  emit(event, value) {
    for (const fn of this.listeners.get(event) ?? []) fn(value);
  }

  async evaluate(fn, arg) {
    return (await this.call(sourceOf(fn), arg, null)).value;
  }

  /** Polls `probe()` (resolving to { done, value }) until done, or throws after `timeout` ms. */
  async poll(what, timeout, probe) {
    const deadline = Date.now() + (timeout ?? this.context.timeout);
    for (let wait = 20; ; wait = Math.min(wait * 2, 200)) {
      const r = await probe();
      if (r.done) return r.value;
      if (Date.now() > deadline) throw new Error(`${what}: timeout of ${timeout ?? this.context.timeout} ms exceeded`);
      await sleep(wait);
    }
  }

  /** Runs fn(element, arg) once `selector` has an element (Playwright's auto-wait). */
  async onElement(selector, fn, arg, what, timeout) {
    return this.poll(`${what}("${selector}")`, timeout, async () => {
      const r = await this.call(sourceOf(fn), arg, selector);
      return { done: !r.missing, value: r.value };
    });
  }

  async waitForSelector(selector, { state = "visible", timeout } = {}) {
    const src = `(el, state) => state === "attached" || (${VISIBLE.toString()})(el)`;
    await this.poll(`waitForSelector("${selector}")`, timeout, async () => {
      const r = await this.call(src, state, selector);
      return { done: !r.missing && r.value === true };
    });
    return null;
  }

  async waitForFunction(fn, arg, { timeout } = {}) {
    return this.poll("waitForFunction", timeout, async () => {
      const { value } = await this.call(sourceOf(fn), arg, null);
      return { done: Boolean(value), value };
    });
  }

  textContent(selector) {
    return this.onElement(selector, (el) => el.textContent, undefined, "textContent");
  }

  getAttribute(selector, name) {
    return this.onElement(selector, (el, name) => el.getAttribute(name), name, "getAttribute");
  }

  inputValue(selector) {
    return this.onElement(selector, (el) => el.value, undefined, "inputValue");
  }

  /** As Playwright: picks the option whose value (or else label) is `value`, fires input and change. */
  selectOption(selector, value) {
    return this.onElement(selector, (el, value) => {
      const option = [...el.options].find((o) => o.value === value) ?? [...el.options].find((o) => o.label === value);
      if (!option) throw new Error(`no option ${value}`);
      el.value = option.value;
      el.dispatchEvent(new Event("input", { bubbles: true }));
      el.dispatchEvent(new Event("change", { bubbles: true }));
      return [option.value];
    }, value, "selectOption");
  }

  async click(selector, { timeout } = {}) {
    await this.waitForSelector(selector, { timeout });
    await this.clickNow(selector);
  }

  /** `files`: paths, or Playwright's { name, mimeType, buffer } (written to temporary files first). */
  async setInputFiles(selector, files, { timeout } = {}) {
    files = [].concat(files);
    await this.waitForSelector(selector, { state: "attached", timeout });
    const dir = files.some((f) => typeof f !== "string") ? mkdtempSync(join(tmpdir(), "prescan-e2e-upload-")) : null;
    try {
      const paths = files.map((f, i) => {
        if (typeof f === "string") return f;
        // One folder each: names may repeat. (The browser types the file by its name, not by mimeType.)
        mkdirSync(join(dir, String(i)));
        const path = join(dir, String(i), f.name);
        writeFileSync(path, f.buffer);
        return path;
      });
      await this.setFiles(selector, paths);
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  }

  locator(selector) {
    const page = this;
    const locator = {
      evaluate: (fn, arg) => page.onElement(selector, fn, arg, "locator.evaluate"),
      getAttribute: (name) => page.getAttribute(selector, name),
      textContent: () => page.textContent(selector),
      inputValue: () => page.inputValue(selector),
      count: () => page.evaluate((selector) => document.querySelectorAll(selector).length, selector),
      isHidden: async () => {
        const r = await page.call(VISIBLE.toString(), undefined, selector);
        return r.missing || !r.value;
      },
      isVisible: async () => !(await locator.isHidden()),
      waitFor: ({ state, timeout } = {}) => page.waitForSelector(selector, { state, timeout }),
      click: () => page.click(selector),
      setInputFiles: (files) => page.setInputFiles(selector, files),
      first: () => locator, // querySelector picks the first
    };
    return locator;
  }
}

// --- the recording proxy -----------------------------------------------------

const INIT_PATH = "/__prescan-e2e-init__.js";
const HOP = ["connection", "keep-alive", "proxy-connection", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade"];

function withoutHop(headers) {
  const out = { ...headers };
  for (const h of HOP) delete out[h];
  return out;
}

/**
 * An HTTP proxy on 127.0.0.1 that passes every request on and reports it
 * (`onRequest`, with Playwright's Request calls) once its body is in;
 * with `initScript()` (a function giving the script's text), it serves
 * that at INIT_PATH of every origin and puts a <script src> to it at the
 * start of each HTML page.
 */
async function startProxy({ onRequest, initScript }) {
  const sockets = new Set();
  const server = createServer((req, res) => {
    let target;
    try {
      target = new URL(req.url);
    } catch {
      return res.writeHead(400, { "Content-Type": "text/plain" }).end("a proxy request needs an absolute URL");
    }
    if (initScript && target.pathname === INIT_PATH) {
      return res.writeHead(200, { "Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "no-store" }).end(initScript());
    }
    if (target.pathname === "/favicon.ico") return res.writeHead(404, { "Content-Type": "text/plain" }).end();
    const body = [];
    req.on("data", (c) => body.push(c));
    req.on("end", () => {
      if (req.method === "OPTIONS") return;
      const data = body.length ? Buffer.concat(body).toString("utf8") : null;
      const headers = { ...req.headers };
      delete headers["proxy-connection"];
      onRequest({ url: () => req.url, method: () => req.method, headers: () => headers, postData: () => data });
    });
    const up = httpRequest({
      host: target.hostname, port: target.port || 80, path: target.pathname + target.search,
      method: req.method, headers: withoutHop(req.headers), agent: false,
    });
    req.pipe(up);
    // A browser that goes away (an abort, a reader cancelled) ends the request upstream too.
    res.on("close", () => {
      if (!res.writableFinished) up.destroy();
    });
    // An upstream that cannot be reached is a network error for the browser too, not an answer.
    up.on("error", () => req.socket.destroy());
    up.on("response", (answer) => {
      answer.on("error", () => res.destroy());
      answer.on("aborted", () => res.destroy());
      const headers = withoutHop(answer.headers);
      const html = initScript && /^text\/html/i.test(headers["content-type"] ?? "") && !headers["content-encoding"];
      if (!html) {
        res.writeHead(answer.statusCode, headers);
        return answer.pipe(res);
      }
      const chunks = [];
      answer.on("data", (c) => chunks.push(c));
      answer.on("end", () => {
        let text = Buffer.concat(chunks).toString("utf8");
        const tag = `<script src="${INIT_PATH}"></script>`;
        const doctype = text.match(/^\s*<!doctype[^>]*>/i);
        text = doctype ? doctype[0] + tag + text.slice(doctype[0].length) : tag + text;
        const out = Buffer.from(text);
        res.writeHead(answer.statusCode, { ...headers, "content-length": String(out.length) });
        res.end(req.method === "HEAD" ? undefined : out);
      });
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: server.address().port,
    close: () => new Promise((resolve) => {
      server.close(resolve);
      for (const s of sockets) s.destroy();
    }),
  };
}

/** Playwright's BrowserContext calls, on `pages`, for the subclasses. */
class AdaptedContext {
  constructor(timeout) {
    this.timeout = timeout;
    this.pages = new Set();
    this.requestListeners = [];
  }

  setDefaultTimeout(ms) {
    this.timeout = ms;
  }

  on(event, fn) {
    if (event !== "request") throw new Error(`context.on("${event}"): not adapted (only "request")`);
    this.requestListeners.push(fn);
    return this;
  }

  emitRequest(r) {
    for (const fn of this.requestListeners) fn(r);
  }
}

// --- Firefox: puppeteer-core over WebDriver BiDi -------------------------------

class FirefoxPage extends AdaptedPage {
  constructor(context, page) {
    super(context);
    this.page = page;
    // Puppeteer's ConsoleMessage (type(), text()), Error and HTTPRequest
    // (url(), failure().errorText) have Playwright's calls.
    for (const event of ["console", "pageerror", "requestfailed"]) page.on(event, (x) => this.emit(event, x));
  }

  async call(src, arg, selector) {
    const AsyncFunction = (async () => {}).constructor;
    const fn = new AsyncFunction("input", callBody(src, selector));
    const out = await this.page.evaluate(fn, JSON.stringify(walk(arg)));
    return unwalk(JSON.parse(out));
  }

  async clickNow(selector) {
    await this.page.click(selector);
  }

  async setFiles(selector, paths) {
    const handle = await this.page.$(selector);
    await handle.uploadFile(...paths);
    await handle.dispose();
  }

  async goto(url) {
    return this.page.goto(url, { waitUntil: "load", timeout: this.context.timeout });
  }

  async addInitScript(fn, arg) {
    await this.page.evaluateOnNewDocument(fn, arg);
  }

  async close() {
    this.context.pages.delete(this);
    await this.page.close();
  }
}

class FirefoxContext extends AdaptedContext {
  static async launch(profile, timeout) {
    const context = new FirefoxContext(timeout);
    context.proxy = await startProxy({ onRequest: (r) => context.emitRequest(r) });
    const { default: puppeteer } = await import("puppeteer-core");
    context.browser = await puppeteer.launch({
      browser: "firefox",
      executablePath: FIREFOX,
      headless: true,
      userDataDir: profile,
      protocolTimeout: 10 * 60_000,
      extraPrefsFirefox: {
        // Everything through the recording proxy, 127.0.0.1 too.
        "network.proxy.type": 1,
        "network.proxy.http": "127.0.0.1",
        "network.proxy.http_port": context.proxy.port,
        "network.proxy.no_proxies_on": "",
        "network.proxy.allow_hijacking_localhost": true,
        // Pages not in front keep their timers (tests switch between pages).
        "dom.min_background_timeout_value": 4,
        "dom.timeout.enable_budget_timer_throttling": false,
        "browser.tabs.remote.unloadOnLowMemory": false,
      },
    });
    return context;
  }

  async version() {
    return this.browser.version();
  }

  async newPage() {
    const page = new FirefoxPage(this, await this.browser.newPage());
    this.pages.add(page);
    return page;
  }

  async close() {
    await this.browser.close().catch(() => {});
    await this.proxy.close();
  }
}

// --- WebKit: WebKitWebDriver and selenium-webdriver -----------------------------

// Runs first in every page (see the header): records console.error, page
// errors and rejected fetches in window.__prescanE2e, read back by call().
function collector() {
  if (window.__prescanE2e) return;
  const log = (window.__prescanE2e = []);
  const text = (a) => {
    if (typeof a === "string") return a;
    if (a instanceof Error) return `${a.name}: ${a.message}`;
    try {
      return JSON.stringify(a) ?? String(a);
    } catch {
      return String(a);
    }
  };
  const error = console.error;
  console.error = function (...args) {
    log.push({ kind: "console", type: "error", text: args.map(text).join(" ") });
    return error.apply(this, args);
  };
  addEventListener("error", (e) => {
    if (e instanceof ErrorEvent) log.push({ kind: "pageerror", message: e.error?.message ?? e.message });
  });
  addEventListener("unhandledrejection", (e) => log.push({ kind: "pageerror", message: e.reason?.message ?? String(e.reason) }));
  const fetch = window.fetch;
  window.fetch = function (input, init) {
    const url = typeof input === "string" || input instanceof URL ? new URL(input, location.href).href : input?.url;
    const p = fetch.apply(this, arguments);
    p.catch((e) => log.push({ kind: "requestfailed", url, errorText: `${e?.name}: ${e?.message}` }));
    return p;
  };
}

class WebKitPage extends AdaptedPage {
  constructor(context, handle) {
    super(context);
    this.handle = handle;
  }

  /** The collector's records, as Playwright's events. */
  dispatch(log) {
    for (const e of log ?? []) {
      if (e.kind === "console") this.emit("console", { type: () => e.type, text: () => e.text });
      else if (e.kind === "pageerror") this.emit("pageerror", new Error(e.message));
      else if (e.kind === "requestfailed") {
        this.emit("requestfailed", { url: () => e.url, method: () => "GET", failure: () => ({ errorText: e.errorText }) });
      }
    }
  }

  async call(src, arg, selector) {
    const script = `
      const done = arguments[arguments.length - 1];
      const input = arguments[0];
      const drain = () => (window.__prescanE2e ? window.__prescanE2e.splice(0) : []);
      (async () => { ${callBody(src, selector)} })().then(
        (out) => done({ out, log: drain() }),
        (e) => done({ error: e && e.message !== undefined ? \`\${e.name}: \${e.message}\\n\${e.stack}\` : String(e), log: drain() }));`;
    const r = await this.context.run(this, (d) => d.executeAsyncScript(script, JSON.stringify(walk(arg))));
    this.dispatch(r.log);
    if (r.error !== undefined) throw new Error(`evaluate: ${r.error}`);
    return unwalk(JSON.parse(r.out));
  }

  async clickNow(selector) {
    const { By } = await import("selenium-webdriver");
    await this.context.run(this, async (d) => (await d.findElement(By.css(selector))).click());
  }

  async setFiles(selector, paths) {
    const { By } = await import("selenium-webdriver");
    await this.context.run(this, async (d) => (await d.findElement(By.css(selector))).sendKeys(paths.join("\n")));
    await this.call("() => 0", undefined, null); // reads the collector back
  }

  async goto(url) {
    await this.context.run(this, (d) => d.get(url));
    await this.call("() => 0", undefined, null);
  }

  /** The init scripts go into every page of the context (the proxy serves one script for all). */
  async addInitScript(fn, arg) {
    this.context.initScripts.push(`(${fn.toString()})(${JSON.stringify(arg ?? null)});`);
  }

  async close() {
    await this.call("() => 0", undefined, null).catch(() => {});
    this.context.pages.delete(this);
    await this.context.run(this, async (d) => {
      await d.close();
      this.context.current = null; // no window is current now
    });
  }
}

class WebKitContext extends AdaptedContext {
  static async launch(timeout) {
    const context = new WebKitContext(timeout);
    context.initScripts = [];
    context.queue = Promise.resolve();
    context.proxy = await startProxy({
      onRequest: (r) => context.emitRequest(r),
      initScript: () => [`(${collector.toString()})();`, ...context.initScripts].map((s) => `try { ${s} } catch (e) { console.error(e); }`).join("\n"),
    });
    let server = process.env.WEBKIT_WEBDRIVER; // a WebKitWebDriver already running (scripts/test-browser)
    if (!server) {
      if (!process.env.DISPLAY) throw new Error("ENGINE=webkit needs an X display (DISPLAY; Xvfb): run scripts/test-browser --engine webkit");
      const port = await freePort();
      const child = spawn(WEBKIT_DRIVER, [`--port=${port}`], { stdio: "ignore" });
      context.driverProcess = child;
      process.once("exit", () => child.kill("SIGTERM"));
      server = `http://127.0.0.1:${port}`;
      await waitForDriver(server);
    }
    const { Builder } = await import("selenium-webdriver");
    const capabilities = {
      browserName: "MiniBrowser",
      proxy: { proxyType: "manual", httpProxy: `127.0.0.1:${context.proxy.port}` },
      "webkitgtk:browserOptions": { binary: MINIBROWSER, args: ["--automation"] },
    };
    try {
      context.driver = await new Builder().usingServer(server).withCapabilities(capabilities).build();
      await context.driver.manage().setTimeouts({ script: 10 * 60_000, pageLoad: 5 * 60_000 });
      context.browserVersion = (await context.driver.getCapabilities()).get("browserVersion");
      context.spare = await context.driver.getWindowHandle(); // the first window, for the first page
    } catch (e) {
      await context.close();
      throw e;
    }
    return context;
  }

  async version() {
    return `MiniBrowser (WebKitGTK) ${this.browserVersion}`;
  }

  /** Runs op() after every command queued before it (one session: one command at a time). */
  serially(op) {
    const next = this.queue.then(op);
    this.queue = next.catch(() => {});
    return next;
  }

  /** Runs op(driver) on `page`'s window, serially. */
  run(page, op) {
    return this.serially(async () => {
      if (this.current !== page.handle) {
        await this.driver.switchTo().window(page.handle);
        this.current = page.handle;
      }
      return op(this.driver);
    });
  }

  async newPage() {
    const handle = await this.serially(async () => {
      let handle = this.spare;
      this.spare = null;
      if (!handle) {
        await this.driver.switchTo().newWindow("window");
        handle = await this.driver.getWindowHandle();
      } else {
        await this.driver.switchTo().window(handle);
      }
      this.current = handle;
      await this.driver.manage().window().setRect({ width: 1280, height: 1024 }).catch(() => {});
      return handle;
    });
    const page = new WebKitPage(this, handle);
    this.pages.add(page);
    return page;
  }

  async close() {
    await this.queue;
    if (this.driver) await this.driver.quit().catch(() => {});
    if (this.driverProcess) this.driverProcess.kill("SIGTERM");
    await this.proxy.close();
  }
}

/** A free port on 127.0.0.1, closed again. */
export async function freePort() {
  const s = createServer();
  await new Promise((resolve) => s.listen(0, "127.0.0.1", resolve));
  const { port } = s.address();
  await new Promise((resolve) => s.close(resolve));
  return port;
}

async function waitForDriver(url) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/status`)).ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`WebKitWebDriver did not answer at ${url} within 10 s`);
    await sleep(100);
  }
}
