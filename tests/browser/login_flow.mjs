// Drives Debian's Chromium (headless, through playwright-core) through a sign-in as a person would.
//
//   node login_flow.mjs '<json args>'      prints one JSON object on stdout; exit 0 when every step ran
//
// Args (JSON): mode "flow" (default) or "smoke".
//   flow:  app_url, idp_url (Latchkey's URL), email, method "otp" | "password", password (for "password"),
//          outbox_cmd (argv of `latchkey outbox --json --data-dir ...`, for the emailed code),
//          brand_name (expected on the hosted page), artifacts_dir (screenshots), timeout_ms.
//   smoke: url (a page with a button "Press me" that shows "Pressed"), artifacts_dir.
// The steps only record what they saw; the pytest side makes the assertions. A step that cannot go on
// (element missing, navigation timeout) ends the run with {"ok": false, "step", "error", "url", "text", ...}.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const args = JSON.parse(process.argv[2] ?? '{}');
const artifacts = args.artifacts_dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'lk-browser-'));
const out = { ok: false, navigations: [] };
let step = 'launch';

// The flags that work on a machine with no network (see SETUP.md); a fresh profile every run.
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'lk-chromium-profile-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const page = context.pages()[0] ?? (await context.newPage());
page.setDefaultTimeout(args.timeout_ms ?? 15000);
page.on('request', (r) => {
  if (r.isNavigationRequest() && r.frame() === page.mainFrame()) out.navigations.push(`${r.method()} ${r.url()}`);
});

const sameOrigin = (a, b) => new URL(a).origin === new URL(b).origin;
const at = (base, pathname) => (u) => u.origin === new URL(base).origin && u.pathname === pathname;
const isIdpLogin = (url) => sameOrigin(url, args.idp_url) && new URL(url).pathname === '/login';
const shot = async (name) => {
  const file = path.join(artifacts, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
};
// The form that holds a given submit button: the hosted login page has one Email field per form.
const formWith = (button) => page.locator('form', { has: page.getByRole('button', { name: button, exact: true }) });

async function smoke() {
  step = 'open';
  await page.goto(args.url);
  step = 'click';
  await page.getByRole('button', { name: 'Press me' }).click();
  out.result = await page.locator('#result').textContent();
  out.user_agent = await page.evaluate(() => navigator.userAgent);
  out.screenshot = await shot('smoke');
}

async function readDashboard() {
  const text = async (id) => (await page.locator(`#${id}`).textContent()).trim();
  return {
    url: page.url(), email: await text('email'), user_id: await text('user-id'), sub: await text('sub'),
    exp: Number(await text('token-exp')), refreshes: Number(await text('refreshes')),
  };
}

// Every visible form control must have a label (or aria-label): report the ones that have none.
const unlabeledControls = () => page.evaluate(() => [...document.querySelectorAll('input, select, textarea')]
  .filter((el) => el.type !== 'hidden' && el.offsetParent !== null)
  .filter((el) => ![...(el.labels ?? [])].some((l) => l.textContent.trim()) && !el.getAttribute('aria-label'))
  .map((el) => el.id || el.name || el.outerHTML.slice(0, 80)));

function outbox() {
  const [cmd, ...rest] = args.outbox_cmd;
  return JSON.parse(execFileSync(cmd, rest, { encoding: 'utf8' })).filter((m) => m.recipient === args.email);
}

async function newCodeAfter(before) {
  const seen = new Set(before.map((m) => JSON.stringify(m)));
  for (const deadline = Date.now() + 10000; Date.now() < deadline; await page.waitForTimeout(200)) {
    const fresh = outbox().find((m) => !seen.has(JSON.stringify(m)) && m.code);
    if (fresh) return fresh.code;
  }
  throw new Error(`no new code for ${args.email} in the outbox`);
}

async function flow() {
  step = 'open app /login';
  await page.goto(`${args.app_url}/login`);
  await page.waitForURL((u) => isIdpLogin(u.href));
  out.login_page = {
    url: page.url(),
    title: await page.title(),
    lang: await page.evaluate(() => document.documentElement.lang),
    brand_visible: args.brand_name ? await page.getByText(args.brand_name).first().isVisible() : null,
    unlabeled: await unlabeledControls(),
    screenshot: await shot('hosted-login-page'),
  };

  if (args.method === 'password') {
    step = 'password sign-in';
    const form = formWith('Sign in');
    await form.getByLabel('Email', { exact: true }).fill(args.email);
    await form.getByLabel('Password', { exact: true }).fill(args.password);
    await form.getByRole('button', { name: 'Sign in', exact: true }).click();
  } else {
    step = 'ask for a code';
    const before = outbox();
    const form = formWith('Email me a code');
    await form.getByLabel('Email', { exact: true }).fill(args.email);
    await form.getByRole('button', { name: 'Email me a code', exact: true }).click();
    step = 'enter the code';
    const code = await newCodeAfter(before);
    await page.getByLabel('Code', { exact: true }).fill(code);
    out.code_page = { url: page.url(), unlabeled: await unlabeledControls() };
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
  }
  step = 'land on /dashboard';
  await page.waitForURL(at(args.app_url, '/dashboard'));
  out.signed_in = await readDashboard();

  step = 'sign in again through the provider session (SSO, no login page)';
  const mark = out.navigations.length;
  await page.goto(`${args.app_url}/login`);
  await page.waitForURL(at(args.app_url, '/dashboard'));
  out.sso_relogin = {
    url: page.url(),
    saw_login_page: out.navigations.slice(mark).some((n) => isIdpLogin(n.slice(n.indexOf(' ') + 1))),
    dashboard: await readDashboard(),
  };

  step = 'wait for the access token to expire, then reload';
  const waitMs = (out.sso_relogin.dashboard.exp + 1) * 1000 - Date.now();
  if (waitMs > 60000) throw new Error(`access token lives ${Math.round(waitMs / 1000)} s more: start Latchkey with a short session TTL`);
  await page.waitForTimeout(Math.max(0, waitMs));
  await page.reload();
  await page.waitForURL(at(args.app_url, '/dashboard'));
  out.after_refresh = await readDashboard();

  // The id_token_hint is that SSO sign-in's id_token: expired by now if it lives as long as the access
  // token (the SDK's refresh_access_token keeps no new id_token), as it would be for a real user.
  step = 'log out';
  await page.getByRole('link', { name: 'Log out' }).click();
  await page.waitForURL(at(args.app_url, '/'));
  out.after_logout = { url: page.url(), notice: await page.locator('#notice').textContent({ timeout: 2000 }).catch(() => null) };

  step = 'visit /dashboard after logout';
  await page.goto(`${args.app_url}/dashboard`);
  await page.waitForLoadState();
  out.after_logout_dashboard = {
    url: page.url(),
    on_login_page: isIdpLogin(page.url()),
    email_field_visible: await page.getByLabel('Email', { exact: true }).first().isVisible(),
  };
}

try {
  await (args.mode === 'smoke' ? smoke() : flow());
  out.ok = true;
} catch (err) {
  Object.assign(out, { step, error: String(err?.message ?? err).split('\n').slice(0, 6).join('\n'), url: page.url() });
  out.text = (await page.locator('body').innerText().catch(() => '')).slice(0, 2000);
  out.failure_screenshot = await shot('failure').catch(() => null);
} finally {
  await context.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
process.stdout.write(`${JSON.stringify(out)}\n`);
process.exit(out.ok ? 0 : 1);
