// Drives headless Chromium (Debian's, through playwright-core) through roster's admin console:
// the first admin's set-password link, sign out, sign in, search a user, open them, deactivate
// with the room hand-over preview, see the event in the timeline, the feed, sign out. A
// screenshot of every step goes to SHOTS. Run by .ci/console.py, which starts roster and seeds
// it; reads BASE, SETUP_URL, TARGET_EMAIL, HEIR_EMAIL, SHOTS and CHROMIUM from the environment.
const { chromium } = require("playwright-core");
const path = require("path");

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const BASE = env("BASE");
const SHOTS = env("SHOTS");
const ADMIN = "first.admin@example.com";
const PASSWORD = "console-ci-password";

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
  console.log(`  ok: ${what}`);
}

async function main() {
  const browser = await chromium.launch({
    executablePath: env("CHROMIUM"),
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  let n = 0;
  const shot = async (name, p = page) => {
    n += 1;
    const file = path.join(SHOTS, `${String(n).padStart(2, "0")}-${name}.png`);
    await p.screenshot({ path: file, fullPage: true });
    console.log(`  screenshot ${file}`);
  };

  // First use: the link `roster serve` printed creates the first admin and signs them in.
  await page.goto(env("SETUP_URL"));
  check((await page.title()).startsWith("Set your password"), "the set-up link opens its form");
  await page.getByLabel("Your email").fill(ADMIN);
  await page.getByLabel("Password (at least 8 characters)").fill(PASSWORD);
  await page.getByLabel("The same password again").fill(PASSWORD);
  await shot("setup");
  await page.getByRole("button", { name: "Set password and sign in" }).click();
  await page.waitForURL(/\/console$/);
  check((await page.title()).startsWith("Users"), "the first admin lands on the users list");

  // Sign out, then sign in with the password just set, using the keyboard only.
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(/sign-in\?signed_out=1$/);
  check(await page.getByText("You are signed out.").isVisible(), "signed out");
  await page.getByLabel("Email").fill(ADMIN);
  await page.getByLabel("Password").fill("wrong password");
  await page.keyboard.press("Enter");
  await page.getByRole("alert").waitFor({ timeout: 10000 });
  check((await page.getByRole("alert").innerText()).includes("Wrong email or password"),
    "a wrong password is refused with a message");
  await page.getByLabel("Password").fill(PASSWORD);
  await shot("sign-in");
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/console$/);
  await shot("users");

  // Phone width: the list stays readable.
  await page.setViewportSize({ width: 390, height: 844 });
  await shot("users-phone");
  await page.setViewportSize({ width: 1280, height: 860 });

  // Search a user and open them.
  const target = env("TARGET_EMAIL");
  await page.getByLabel("Search").fill(target.split("@")[0]);
  await page.getByRole("button", { name: "Filter" }).click();
  await page.waitForURL(/\?q=/);
  check((await page.locator("table.users tbody tr").count()) === 1, "the search finds one user");
  await shot("search");
  await page.getByRole("link", { name: target }).click();
  await page.waitForURL(/\/users\//);
  check((await page.title()).startsWith(`${target} (active)`), "the user's page is titled with them");
  await shot("user");

  // Deactivate: the preview shows the hand-over; confirming applies it.
  await page.getByRole("link", { name: "Deactivate…" }).click();
  await page.waitForURL(/\/deactivate$/);
  const plan = await page.locator("ul.plan").innerText();
  check(plan.includes("general") && plan.includes(env("HEIR_EMAIL")), "the preview names the room and its heir");
  await page.getByLabel("Reason").fill("left the company");
  await page.getByLabel("Reference").fill("HR-1717");
  await shot("deactivate-preview");
  await page.getByRole("button", { name: "Deactivate" }).click();
  await page.waitForURL(/done=deactivate/);
  check((await page.title()).startsWith(`${target} (deactivated)`), "the user is deactivated");
  const first = page.locator("ol.timeline li.event").first();
  const text = await first.innerText();
  check(text.includes("deactivated") && text.includes("console") && text.includes("HR-1717") && text.includes(ADMIN),
    "the timeline shows the deactivation, by this admin, through the console, with its reference");
  await shot("timeline");

  // The tenant feed, filtered by action.
  await page.getByRole("link", { name: "Activity" }).click();
  await page.getByLabel("Action").fill("room_ownership_transferred");
  await page.getByRole("button", { name: "Filter" }).click();
  await page.waitForURL(/action=room_ownership_transferred/);
  check((await page.locator("ol.timeline li.event").count()) === 1, "the feed shows the hand-over");
  await shot("feed");

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(/signed_out=1$/);
  await page.goto(`${BASE}/t/default/console`);
  check(page.url().endsWith("/sign-in"), "signed out, the console asks to sign in");
  await shot("signed-out");
  await browser.close();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
